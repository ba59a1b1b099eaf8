"""Grow the benchmark database: copies of the whole programme, made in SQL on PostgreSQL.

Copy ``k`` of every programme body has the code ``<code>-x<k>`` (its municipalities under the
copy of their prefecture), an owner ``owner-<code>-x<k>``, and copies of its milestones (ref
``<ref>-x<k>``), re-plan revisions and steps. Each copy is a handful of INSERT … SELECT
statements in one transaction; a copy that exists already is skipped, so a rerun adds only what
is missing.
"""

# Table and column names come from the models; the copy's name is passed as a parameter.
# ruff: noqa: S608

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from roadmap.models import DeadlineRevision, Membership, Milestone, Organization, Step
from roadmap.standardization import REF_PREFIX

COPY = "-x"


def scale_to(factor: int, *, report=print) -> None:
    """Make the programme ``factor`` times its size by adding copies 2 … ``factor``."""
    if connection.vendor != "postgresql":
        raise ValueError("Scaling the benchmark data needs PostgreSQL.")
    for copy in range(2, factor + 1):
        suffix = f"{COPY}{copy}"
        with transaction.atomic(), connection.cursor() as cursor:
            # A second run making copies at the same time waits here, then skips what exists.
            cursor.execute(f"LOCK TABLE {Organization._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
            if Organization.objects.filter(code__endswith=suffix).exists():
                continue
            for statement in copy_statements():
                cursor.execute(statement, {"suffix": suffix, "label": f" #{copy}"})
        report(f"copy {copy} of the programme added")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def original(column: str) -> str:
    """Return SQL true for rows that are not themselves copies."""
    return f"position('{COPY}' in {column}) = 0"


def copy_statements() -> list[str]:
    """Return the statements that add one copy; %(suffix)s and %(label)s name the copy."""
    org = Organization._meta.db_table
    users = get_user_model()._meta.db_table
    milestone = Milestone._meta.db_table
    revision = DeadlineRevision._meta.db_table
    skipped = ("id", "ref", "owner_id")
    milestone_columns = [
        f.column for f in Milestone._meta.concrete_fields if f.column not in skipped
    ]
    revision_columns = [
        f.column
        for f in DeadlineRevision._meta.concrete_fields
        if f.column not in ("id", "milestone_id")
    ]
    bodies = f"o.kind IN ('prefecture', 'municipality') AND {original('o.code')}"
    same_milestone = (
        f"JOIN {milestone} n ON n.ref = m.ref || %(suffix)s"
        f" WHERE m.ref LIKE '{REF_PREFIX}%%' AND {original('m.ref')}"
    )
    return [
        f"INSERT INTO {org} (code, name_ja, name_en, kind, contact_email)"
        f" SELECT o.code || %(suffix)s, o.name_ja || %(label)s, o.name_en || %(label)s, o.kind,"
        f" o.contact_email FROM {org} o WHERE {bodies}",
        f"UPDATE {org} c SET parent_id = pc.id FROM {org} o"
        f" JOIN {org} p ON p.id = o.parent_id JOIN {org} pc ON pc.code = p.code || %(suffix)s"
        f" WHERE c.code = o.code || %(suffix)s AND {bodies}",
        f"INSERT INTO {users} (username, email, password, is_superuser, is_staff, is_active,"
        " first_name, last_name, date_joined)"
        " SELECT u.username || %(suffix)s, replace(u.email, '@', %(suffix)s || '@'), u.password,"
        f" false, u.is_staff, u.is_active, '', '', u.date_joined FROM {users} u"
        f" WHERE u.username LIKE 'owner-%%' AND {original('u.username')}",
        f"INSERT INTO {Membership._meta.db_table} (user_id, organization_id, role)"
        f" SELECT cu.id, co.id, ms.role FROM {Membership._meta.db_table} ms"
        f" JOIN {users} u ON u.id = ms.user_id JOIN {org} o ON o.id = ms.organization_id"
        f" JOIN {users} cu ON cu.username = u.username || %(suffix)s"
        f" JOIN {org} co ON co.code = o.code || %(suffix)s"
        f" WHERE u.username LIKE 'owner-%%' AND {original('u.username')}",
        f"INSERT INTO {milestone} (ref, owner_id, {', '.join(milestone_columns)})"
        f" SELECT m.ref || %(suffix)s, co.id, {', '.join('m.' + c for c in milestone_columns)}"
        f" FROM {milestone} m JOIN {org} o ON o.id = m.owner_id"
        f" JOIN {org} co ON co.code = o.code || %(suffix)s"
        f" WHERE m.ref LIKE '{REF_PREFIX}%%' AND {original('m.ref')}",
        f"INSERT INTO {revision} (milestone_id, {', '.join(revision_columns)})"
        f" SELECT n.id, {', '.join('r.' + c for c in revision_columns)}"
        f" FROM {revision} r JOIN {milestone} m ON m.id = r.milestone_id"
        f" {same_milestone}",
        f"INSERT INTO {Step._meta.db_table} (milestone_id, number, completed_on)"
        f" SELECT n.id, s.number, s.completed_on FROM {Step._meta.db_table} s"
        f" JOIN {milestone} m ON m.id = s.milestone_id {same_milestone}",
    ]
