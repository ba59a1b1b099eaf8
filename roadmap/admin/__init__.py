"""The owners' admin.

Access follows Membership, not Django's per-user model permissions: a staff user who is an
owner of an organization sees and changes that organization's milestones, a viewer sees them
read-only, and nobody else sees them at all. Only superusers add or change organizations,
plans, initiatives and Diet sessions. Every change goes through roadmap.services, and the
deadline only ever changes through "Revise deadline", which records a reason.

- ``access``: the two mixins (member access; read-only records) and the per-request roles;
- ``filters``: the list filters;
- ``milestones``: milestones, their forms, bulk actions and history;
- ``history``: a milestone's history pages, in the tracker's words;
- ``deadlines``: the "Revise deadline" page of a milestone;
- ``records``: organizations and reference data, steps, revisions, notices and settings;
- ``indicators``: indicators, their measurements, recurring commitments and event dates;
- ``jobs``: the items a scheduled job could not process.
"""

from roadmap.admin import indicators, jobs, milestones, records  # noqa: F401 (registers the admins)

# The programme's records register themselves with the admin site.
from roadmap.programme import admin as programme_admin  # noqa: F401
