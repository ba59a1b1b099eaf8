"""Grow the benchmark database: copies of the whole programme, made in SQL on PostgreSQL.

Copy ``k`` of every programme body has the code ``<code>-x<k>``, an owner ``owner-<code>-x<k>``,
and copies of its milestones (ref ``<ref>-x<k>``), re-plan revisions, special-support
designations and steps. Japan has 47 prefectures at any size of the programme: every copy is a
municipality of the original's prefecture (a prefecture's copy one of its own), so the
prefecture and system tables stay 47 and 20 rows long while bodies, milestones and steps grow
with the copies. All the copies missing are
made together by one INSERT … SELECT per table, the original rows joined to the list of copy
numbers (``unnest``), in one transaction: seven statements for ten times the programme, no
loop over rows or copies. A copy that exists already is left out, so a rerun adds only what is
missing.
"""

# Table and column names come from the models; the copy's name is passed as a parameter.
# ruff: noqa: S608

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from roadmap.models import DeadlineRevision, Membership, Milestone, Organization, Step
from roadmap.programme import progress
from roadmap.programme.models import Designation
from roadmap.standardization import REF_PREFIX

COPY = "-x"


def scale_to(factor: int, *, report=print) -> None:
    """Make the programme ``factor`` times its size by adding the copies 2 … ``factor`` missing."""
    if connection.vendor != "postgresql":
        raise ValueError("Scaling the benchmark data needs PostgreSQL.")
    with transaction.atomic(), connection.cursor() as cursor:
        # A second run making copies at the same time waits here, then finds them made.
        cursor.execute(f"LOCK TABLE {Organization._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        made = {
            int(code.rsplit(COPY, 1)[1])
            for code in Organization.objects.filter(code__contains=COPY)
            .values_list("code", flat=True)
            .distinct()
        }
        missing = [copy for copy in range(2, factor + 1) if copy not in made]
        if not missing:
            return
        for statement in copy_statements():
            cursor.execute(statement, {"copies": missing})
        # The programme pages read counts kept per body's system: counted for the copies too.
        progress.counted_afresh()
    report(f"copies {', '.join(map(str, missing))} of the programme added")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def original(column: str) -> str:
    """Return SQL true for rows that are not themselves copies."""
    return f"position('{COPY}' in {column}) = 0"


# The copies to make, as a FROM item: each copy's number, code suffix and name label.
COPIES = (
    "(SELECT '-x' || n AS suffix, ' #' || n AS label"
    " FROM unnest(CAST(%(copies)s AS integer[])) AS n) k"
)


def copy_statements() -> list[str]:
    """Return the statements that add the copies %(copies)s (a list of their numbers)."""
    org = Organization._meta.db_table
    users = get_user_model()._meta.db_table
    milestone = Milestone._meta.db_table
    revision = DeadlineRevision._meta.db_table
    skipped = ("id", "ref", "owner_id")
    milestone_columns = [
        f.column for f in Milestone._meta.concrete_fields if f.column not in skipped
    ]
    revision_columns, step_columns = (
        [f.column for f in model._meta.concrete_fields if f.column not in ("id", "milestone_id")]
        for model in (DeadlineRevision, Step)
    )
    designation = Designation._meta.db_table
    designation_columns = [
        f.column
        for f in Designation._meta.concrete_fields
        if f.column not in ("id", "milestone_id", "body_id", "revision_id")
    ]
    # A copied designation names the copy of its revision: the copied milestone's revision
    # equal to the original in every column.
    same_revision = " AND ".join(
        f"cr.{column} IS NOT DISTINCT FROM r.{column}" for column in revision_columns
    )
    # Every other column as it is; each copy is a municipality in the original's prefecture.
    org_columns = [
        f.column
        for f in Organization._meta.concrete_fields
        if f.column not in ("id", "code", "name_ja", "name_en", "kind", "parent_id")
    ]
    bodies = f"o.kind IN ('prefecture', 'municipality') AND {original('o.code')}"
    same_milestone = (
        f"JOIN {milestone} n ON n.ref = m.ref || k.suffix"
        f" WHERE m.ref LIKE '{REF_PREFIX}%%' AND {original('m.ref')}"
    )
    return [
        f"INSERT INTO {org} (code, name_ja, name_en, kind, parent_id, {', '.join(org_columns)})"
        f" SELECT o.code || k.suffix, o.name_ja || k.label, o.name_en || k.label,"
        f" '{Organization.Kind.MUNICIPALITY}', coalesce(o.parent_id, o.id),"
        f" {', '.join('o.' + c for c in org_columns)} FROM {org} o CROSS JOIN {COPIES}"
        f" WHERE {bodies}",
        f"INSERT INTO {users} (username, email, password, is_superuser, is_staff, is_active,"
        " first_name, last_name, date_joined)"
        " SELECT u.username || k.suffix, replace(u.email, '@', k.suffix || '@'), u.password,"
        f" false, u.is_staff, u.is_active, '', '', u.date_joined"
        f" FROM {users} u CROSS JOIN {COPIES}"
        f" WHERE u.username LIKE 'owner-%%' AND {original('u.username')}",
        f"INSERT INTO {Membership._meta.db_table} (user_id, organization_id, role)"
        f" SELECT cu.id, co.id, ms.role FROM {COPIES} CROSS JOIN {Membership._meta.db_table} ms"
        f" JOIN {users} u ON u.id = ms.user_id JOIN {org} o ON o.id = ms.organization_id"
        f" JOIN {users} cu ON cu.username = u.username || k.suffix"
        f" JOIN {org} co ON co.code = o.code || k.suffix"
        f" WHERE u.username LIKE 'owner-%%' AND {original('u.username')}",
        f"INSERT INTO {milestone} (ref, owner_id, {', '.join(milestone_columns)})"
        f" SELECT m.ref || k.suffix, co.id, {', '.join('m.' + c for c in milestone_columns)}"
        f" FROM {COPIES} CROSS JOIN {milestone} m JOIN {org} o ON o.id = m.owner_id"
        f" JOIN {org} co ON co.code = o.code || k.suffix"
        f" WHERE m.ref LIKE '{REF_PREFIX}%%' AND {original('m.ref')}",
        f"INSERT INTO {revision} (milestone_id, {', '.join(revision_columns)})"
        f" SELECT n.id, {', '.join('r.' + c for c in revision_columns)}"
        f" FROM {COPIES} CROSS JOIN {revision} r JOIN {milestone} m ON m.id = r.milestone_id"
        f" {same_milestone}",
        f"INSERT INTO {designation} (milestone_id, body_id, revision_id,"
        f" {', '.join(designation_columns)})"
        f" SELECT n.id, n.owner_id, cr.id, {', '.join('d.' + c for c in designation_columns)}"
        f" FROM {COPIES} CROSS JOIN {designation} d JOIN {milestone} m ON m.id = d.milestone_id"
        f" LEFT JOIN {revision} r ON r.id = d.revision_id"
        f" JOIN {milestone} n ON n.ref = m.ref || k.suffix"
        f" LEFT JOIN {revision} cr ON cr.milestone_id = n.id AND {same_revision}"
        f" WHERE m.ref LIKE '{REF_PREFIX}%%' AND {original('m.ref')}"
        # Two equal revisions of one milestone: its copy's designation names either.
        " ON CONFLICT (milestone_id) DO NOTHING",
        f"INSERT INTO {Step._meta.db_table} (milestone_id, {', '.join(step_columns)})"
        f" SELECT n.id, {', '.join('s.' + c for c in step_columns)}"
        f" FROM {COPIES} CROSS JOIN {Step._meta.db_table} s"
        f" JOIN {milestone} m ON m.id = s.milestone_id {same_milestone}",
    ]
