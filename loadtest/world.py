"""The soak's world: organizations, owners with varied notice settings, milestones with steps,
and the editor that changes them each simulated day as their owners would.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from loadtest.forms import form_values
from loadtest.ledger import Owner, State

REF_PREFIX = "soak-"
# The first simulated day; the milestones' deadlines are placed around it.
FIRST_DAY = date(2026, 4, 1)
ORGANIZATIONS, MILESTONES_PER_ORGANIZATION = 8, 10
EDITS_PER_DAY = 3
# The error lists of an admin form, and the tags inside them.
ERRORS = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.S)
TAG = re.compile(r"<[^>]+>")


@dataclass
class World:
    owners: list[Owner]
    # Owner accounts (username, password) by organization id.
    accounts: dict
    milestone_ids: list[int]
    stepped: set[int]
    # The operator's account (username, password): a superuser, who sends failed notices again.
    operator: tuple[str, str] = ("", "")

    def snapshot(self) -> dict[int, State]:
        from roadmap.models import Milestone

        return {
            pk: State(owner, deadline, status in Milestone.CLOSED_STATUSES)
            for pk, owner, deadline, status in Milestone.objects.filter(
                pk__in=self.milestone_ids
            ).values_list("pk", "owner_id", "deadline", "status")
        }


def prepare(rng, expected_days: float) -> World:
    """Create and migrate the database where needed; replace the soak's data with a new one."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.command import create_database_if_missing
    from roadmap.models import Milestone

    create_database_if_missing(connection.settings_dict)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if Milestone.objects.exclude(ref__startswith=REF_PREFIX).exists():
        raise SystemExit(
            "The soak writes and deletes its own data: give it a database of its own "
            "(SOAK_DATABASE_URL); this one holds milestones that are not the soak's."
        )
    clear()
    return create_world(rng, int(expected_days) + 20)


def clear() -> None:
    from django.contrib.auth import get_user_model

    from roadmap.models import JobFailure, Milestone, Notification, Organization

    Notification.objects.all().delete()
    JobFailure.objects.all().delete()
    Milestone.objects.filter(ref__startswith=REF_PREFIX).delete()
    get_user_model().objects.filter(username__startswith=REF_PREFIX).delete()
    Organization.objects.filter(code__startswith=REF_PREFIX).delete()


def create_world(rng, span: int) -> World:
    """Organizations, their owners (with varied settings) and milestones around FIRST_DAY."""
    from django.contrib.auth import get_user_model

    from roadmap.models import (
        Initiative,
        Membership,
        Milestone,
        Organization,
        Plan,
        Step,
        UserPreference,
    )
    from roadmap.programme.steps import recount_all
    from roadmap.standard_steps import STEP_COUNT

    plan, _created = Plan.objects.get_or_create(
        code=f"{REF_PREFIX}plan",
        defaults={"title_ja": "耐久試験の計画", "title_en": "Soak plan", "decided_on": FIRST_DAY},
    )
    initiative, _created = Initiative.objects.get_or_create(
        plan=plan, number="1.1", defaults={"title_ja": "耐久試験", "title_en": "Soak"}
    )
    settings_choices = [
        ([], 7, True),
        ([14, 3], 2, True),
        ([5, 2, 1], 3, True),
        ([30, 7, 1], 1, True),
        ([10], 4, False),
    ]
    owners, accounts, milestone_ids, stepped = [], {}, [], set()
    users = get_user_model()
    for number in range(ORGANIZATIONS):
        organization = Organization.objects.create(
            code=f"{REF_PREFIX}{number:02d}",
            name_ja=f"耐久試験の組織{number}",
            name_en=f"Soak organization {number}",
            kind=Organization.Kind.MUNICIPALITY,
        )
        for seat in range(1 + number % 2):
            password = secrets.token_urlsafe(16)
            username = f"{REF_PREFIX}owner-{number}-{seat}"
            user = users.objects.create_user(
                username, f"{username}@example.jp", password, is_staff=True
            )
            Membership.objects.create(
                user=user, organization=organization, role=Membership.Role.OWNER
            )
            leads, every, mailed = settings_choices[(number + seat) % len(settings_choices)]
            UserPreference.objects.create(
                user=user,
                language=rng.choice(["ja", "en"]),
                digests_enabled=mailed,
                lead_days=leads,
                overdue_repeat_days=every,
                working_days_only=False,
            )
            owners.append(
                Owner(user.email, organization.pk, tuple(leads) or (30, 7, 1), every, mailed)
            )
            accounts.setdefault(organization.pk, (username, password))
        for index in range(MILESTONES_PER_ORGANIZATION):
            deadline = FIRST_DAY + timedelta(days=rng.randint(-12, span))
            system = index + 1 if index < 4 else None
            milestone = Milestone.objects.create(
                ref=f"{REF_PREFIX}{number:02d}-{index:02d}",
                initiative=initiative,
                owner=organization,
                title_ja=f"耐久試験のマイルストーン{number}-{index}",
                title_en=f"Soak milestone {number}-{index}",
                source_text=f"{deadline:%Y年%m月%d日}までに実施する。",
                kind=Milestone.Kind.DEADLINE,
                phrase=f"{deadline.year}年{deadline.month}月{deadline.day}日まで",
                reference_date=FIRST_DAY,
                window_end=deadline,
                precision=Milestone.Precision.DAY,
                rule="soak",
                deadline=deadline,
                baseline_deadline=deadline,
                business_system=system,
            )
            milestone_ids.append(milestone.pk)
            if system:
                stepped.add(milestone.pk)
                Step.objects.bulk_create(
                    Step(milestone=milestone, number=n) for n in range(1, STEP_COUNT + 1)
                )
    recount_all()
    password = secrets.token_urlsafe(16)
    operator = users.objects.create_superuser(
        f"{REF_PREFIX}operator", f"{REF_PREFIX}operator@example.jp", password
    )
    return World(owners, accounts, milestone_ids, stepped, (operator.username, password))


class Editor:
    """Edits as the owners would: in the admin over HTTP, and step reports through the service."""

    def __init__(self, url, world: World, rng):
        import requests

        self.url, self.world, self.rng = url, world, rng
        self.sessions: dict[int, requests.Session] = {}
        self.counts = {"status changes": 0, "deadline revisions": 0, "step reports": 0}
        self.used_deadlines = {}
        # Edits the tracker refused or failed, which fail the run.
        self.errors: list[str] = []

    def edit(self, day: date) -> set[int]:
        """Make the day's edits, each milestone at most once; return the milestones edited."""
        states = self.world.snapshot()
        open_ids = sorted(pk for pk, state in states.items() if not state.closed)
        chosen = self.rng.sample(open_ids, min(EDITS_PER_DAY, len(open_ids)))
        for pk in chosen:
            state = states[pk]
            action = self.rng.choices(["status", "deadline", "steps"], weights=[4, 3, 3])[0]
            try:
                if action == "steps" and pk in self.world.stepped:
                    self.report_steps(pk, state, day)
                elif action == "deadline":
                    self.revise(pk, state, day)
                else:
                    self.change_status(pk, state)
            except Exception as error:  # noqa: BLE001 (reported; the ledger reads what was saved)
                self.errors.append(f"{day}: {error}")
        return set(chosen)

    def send_failed_again(self) -> list[int]:
        """As the operator, send every failed notice again with the admin's action; return them."""
        from roadmap.models import Notification

        failed = list(
            Notification.objects.filter(state=Notification.State.FAILED).values_list(
                "pk", flat=True
            )
        )
        if not failed:
            return []
        session = self.session(None)
        path = "/admin/roadmap/notification/?state__exact=failed"
        values = form_values(session.get(f"{self.url}{path}", timeout=60).text)
        answer = session.post(
            f"{self.url}{path}",
            data={
                "csrfmiddlewaretoken": values["csrfmiddlewaretoken"],
                "action": "send_again",
                "index": "0",
                "_selected_action": failed,
            },
            timeout=60,
            allow_redirects=False,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"sending failed notices again: status {answer.status_code}")
        return failed

    def session(self, organization):
        """Return a signed-in session of the organization's owner (None: the operator)."""
        import requests

        if organization not in self.sessions:
            username, password = (
                self.world.operator if organization is None else self.world.accounts[organization]
            )
            session = requests.Session()
            login = session.get(f"{self.url}/admin/login/", timeout=60)
            answer = session.post(
                f"{self.url}/admin/login/?next=/admin/",
                data={
                    "csrfmiddlewaretoken": form_values(login.text)["csrfmiddlewaretoken"],
                    "username": username,
                    "password": password,
                    "next": "/admin/",
                },
                timeout=60,
                allow_redirects=False,
            )
            if answer.status_code != 302:
                raise RuntimeError(f"{username} could not sign in: status {answer.status_code}")
            self.sessions[organization] = session
        return self.sessions[organization]

    def change_status(self, pk, state) -> None:
        closing = self.rng.random() < 0.2
        status = "done" if closing else self.rng.choice(["planned", "in_progress"])
        self.save(
            state.organization,
            f"/admin/roadmap/milestone/{pk}/change/",
            {"status": status, "status_comment": "耐久試験による状態の更新"},
            f"status change of milestone {pk}",
        )
        self.counts["status changes"] += 1

    def revise(self, pk, state, day) -> None:
        """Revise the deadline to a day it never had: a notice skipped never becomes owed again."""
        used = self.used_deadlines.setdefault(pk, {state.deadline})
        deadline = day + timedelta(days=self.rng.randint(-3, 25))
        while deadline in used:
            deadline += timedelta(days=1)
        used.add(deadline)
        self.save(
            state.organization,
            f"/admin/roadmap/milestone/{pk}/revise-deadline/",
            {
                "new_phrase": f"{deadline.year}年{deadline.month}月{deadline.day}日まで",
                "kind": self.rng.choice(["replan", "slip"]),
                "reason": "耐久試験による期限の見直し",
            },
            f"deadline revision of milestone {pk}",
        )
        self.counts["deadline revisions"] += 1

    def save(self, organization, path, changes, what) -> None:
        """Open the form, change it and save; told of an edit conflict, reload and save again.

        The flagging job changes a milestone's version, so an owner who opened the form before
        it ran is asked to reload and reapply, as a person would.
        """
        session = self.session(organization)
        for _attempt in range(2):
            values = form_values(session.get(f"{self.url}{path}", timeout=60).text)
            answer = session.post(
                f"{self.url}{path}", data={**values, **changes}, timeout=60, allow_redirects=False
            )
            if answer.status_code == 302:
                return
        errors = " ".join(ERRORS.findall(answer.text)) if answer.status_code == 200 else ""
        raise RuntimeError(f"{what}: status {answer.status_code} {TAG.sub('', errors)}".strip())

    def report_steps(self, pk, state, day) -> None:
        """Move one to three of the milestone's steps forward, as the owner's report would."""
        from django.contrib.auth import get_user_model

        from roadmap.models import Step, StepState
        from roadmap.programme.steps import Cell, record_steps

        forward = {
            StepState.NOT_STARTED: StepState.IN_PROGRESS,
            StepState.IN_PROGRESS: StepState.DONE,
        }
        movable = [
            (number, forward[current])
            for number, current in Step.objects.filter(milestone_id=pk)
            .order_by("number")
            .values_list("number", "state")
            if current in forward
        ]
        cells = [Cell(pk, number, new) for number, new in movable[: self.rng.randint(1, 3)]]
        user = get_user_model().objects.get(username=self.world.accounts[state.organization][0])
        record_steps(cells=cells, user=user, on=day)
        self.counts["step reports"] += 1
