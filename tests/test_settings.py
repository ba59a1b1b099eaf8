"""The settings module: production refuses to start half-configured, and deploys clean."""

import subprocess
import sys

from tests.conftest import PROJECT_DIR, child_environment


def run_manage(*args, **env):
    environment = child_environment(**env)
    for name in ("SECRET_KEY", "DEBUG", "SECURE_SSL_REDIRECT"):
        if name not in env:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_startup_without_secret_key_stops_naming_the_variable():
    result = run_manage("check", DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr.splitlines()[-1]


def test_debug_runs_without_secret_key():
    result = run_manage("check", DEBUG="true")

    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_with_debug_off_and_a_real_key(tmp_path):
    # A complete deployment: static files collected (an empty manifest stands for them).
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="a-real-secret-key-" + "x7Yq9PzL3mKw2Rt8Vn4Bc6Hd1Jf5Gs0Qa" * 2,
        STATIC_ROOT=tmp_path,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


def test_invalid_boolean_setting_is_refused_with_its_name():
    result = run_manage("check", DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_time_zone_and_languages(settings):
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "ja"
    assert [code for code, _ in settings.LANGUAGES] == ["ja", "en"]


def test_celery_is_configured_for_reliable_delivery():
    from tracker.celery import app

    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    assert conf.timezone == "Asia/Tokyo"
