"""A broken deployment is refused at start with one sentence naming the cause."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db.migrations.recorder import MigrationRecorder

from roadmap.checks import refusal
from tests.conftest import PROJECT_DIR

pytestmark = pytest.mark.django_db

MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture
def production_static(settings, tmp_path):
    """The production storage, reading the manifest collectstatic writes into STATIC_ROOT."""
    settings.STORAGES = MANIFEST_STORAGE
    settings.STATIC_ROOT = tmp_path / "static"
    return settings.STATIC_ROOT


def collected(static_root):
    static_root.mkdir()
    (static_root / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')


def test_a_complete_deployment_may_start(production_static):
    collected(production_static)
    assert refusal() is None


def test_missing_collected_static_files_refuse_the_start(production_static):
    sentence = refusal()
    assert sentence.startswith("Refusing to start: Static files are not collected")
    assert "collectstatic" in sentence


def test_check_deploy_reports_missing_static_files(production_static):
    with pytest.raises(SystemCheckError, match=r"roadmap\.E001"):
        call_command("check", "--deploy", "--tag", "staticfiles")


def test_a_pending_migration_refuses_the_start(production_static):
    collected(production_static)
    latest = MigrationRecorder.Migration.objects.filter(app="roadmap").latest("id")
    latest.delete()
    sentence = refusal()
    assert f"1 unapplied migration(s) (roadmap.{latest.name})" in sentence
    assert "python manage.py migrate" in sentence
    with pytest.raises(SystemCheckError, match=r"roadmap\.E003"):
        call_command("check", "--deploy", "--tag", "database")


@pytest.mark.slow
def test_gunicorn_refuses_to_start_when_the_database_cannot_be_reached(tmp_path):
    """The real web process: it exits before listening, with the sentence on stderr."""
    static_root = tmp_path / "static"
    collected(static_root)
    environment = os.environ | {
        "DEBUG": "false",
        "SECRET_KEY": "startup-test-only-" + "x" * 50,
        "STATIC_ROOT": str(static_root),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nowhere",
    }
    finished = subprocess.run(
        [sys.executable, "-m", "gunicorn", "tracker.wsgi", "--bind", "127.0.0.1:0"],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode != 0
    last_line = finished.stderr.strip().splitlines()[-1]
    assert last_line.startswith("Refusing to start: The database nowhere on 127.0.0.1:9")
    assert "cannot be reached" in last_line
