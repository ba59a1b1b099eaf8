"""A deployment that cannot serve is refused at start, not answered with a 500 on each request.

``manage.py check --deploy`` reports the three causes below, and the web process runs the same
checks before it listens (``gunicorn.conf.py``) and stops with one sentence naming the cause.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core import checks
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor


@checks.register(checks.Tags.staticfiles, deploy=True)
def static_files_collected(app_configs=None, **kwargs):
    """Manifest storage (DEBUG off) answers 500 for every page until collectstatic has run."""
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return []
    manifest = Path(settings.STATIC_ROOT) / storage.manifest_name
    if manifest.exists():
        return []
    return [
        checks.Error(
            f"Static files are not collected: {manifest} does not exist. "
            "Run `python manage.py collectstatic --noinput` before starting the web process.",
            id="roadmap.E001",
        )
    ]


@checks.register(checks.Tags.database, deploy=True)
def database_ready(app_configs=None, **kwargs):
    """The database answers and every migration is applied."""
    connection = connections[DEFAULT_DB_ALIAS]
    where = _where(connection.settings_dict)
    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        reason = " ".join(str(error).split())
        return [
            checks.Error(
                f"The database {where} cannot be reached ({reason}). Check DATABASE_URL and "
                "that the database server is running.",
                id="roadmap.E002",
            )
        ]
    if not pending:
        return []
    names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in pending[:3])
    if len(pending) > 3:
        names += ", …"
    return [
        checks.Error(
            f"The database {where} has {len(pending)} unapplied migration(s) ({names}). "
            "Run `python manage.py migrate` before starting the web process.",
            id="roadmap.E003",
        )
    ]


def _where(database: dict) -> str:
    if database.get("HOST"):
        return f"{database['NAME']} on {database['HOST']}:{database.get('PORT') or 'default port'}"
    return str(database["NAME"])


def refusal() -> str | None:
    """Return the sentence(s) why this deployment must not start, or None if it may."""
    errors = [
        message
        for check in (static_files_collected, database_ready)
        for message in check()
        if message.is_serious()
    ]
    if not errors:
        return None
    return "Refusing to start: " + " ".join(error.msg for error in errors)
