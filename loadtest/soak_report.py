"""The soak's verdict: the ledger against the mail server's record, the database's checks, and
the report (docs/soak.md).
"""

import email
import email.policy
from dataclasses import asdict
from datetime import date

from loadtest.ledger import compare
from loadtest.stack import FAULT_KINDS
from loadtest.world import FIRST_DAY


def check(run, world, ledger, accepted, refused, stack) -> dict:
    """Compare the ledger with the mail server's record; check the database's integrity."""
    from django.db import close_old_connections

    from roadmap.models import JobFailure, Milestone, Notification, Step
    from roadmap.programme.models import SystemProgress
    from roadmap.services.digest_mail import NOTICES_HEADER

    close_old_connections()
    notices = {n.pk: n for n in Notification.objects.all()}

    def key(notice):
        return (notice.recipient, notice.milestone_id, notice.kind, notice.deadline, notice.lead)

    problems, delivered, digests = [], [], 0
    for message in accepted:
        parsed = message.message
        ids = [int(i) for i in (parsed[NOTICES_HEADER] or "").split(",") if i]
        body = parsed.get_body(("plain",)).get_content()
        digests += 1
        for pk in ids:
            notice = notices.get(pk)
            if notice is None or notice.recipient not in message.recipients:
                problems.append(f"a digest to {message.recipients} names notice {pk}, not theirs")
                continue
            if f"/milestones/{notice.milestone_id}/" not in body:
                problems.append(f"the digest of notice {pk} does not show its milestone")
            delivered.append(key(notice))
    refused_for_good = {
        key(notices[int(pk)])
        for item in refused
        if item.reply.startswith("5")
        for pk in (_header(item.content, NOTICES_HEADER) or "").split(",")
        if pk and int(pk) in notices
    }
    skipped = {key(n) for n in notices.values() if n.state == Notification.State.SKIPPED}
    comparison = compare(ledger, delivered, refused_for_good, no_longer_applied=skipped)

    # The database. Every notice refused for good was sent again by the operator.
    failed = {key(n) for n in notices.values() if n.state == Notification.State.FAILED}
    if failed:
        problems.append(f"{len(failed)} notices are left failed after being sent again")
    retried_out = {key(notices[pk]) for pk in run.sent_again if pk in notices} - refused_for_good
    if retried_out:
        problems.append(
            f"{len(retried_out)} notices had failed without a permanent refusal (retries used up)"
        )
    if any(n.claim is not None for n in notices.values()):
        problems.append("notices are left claimed")
    if any(n.state == Notification.State.PENDING for n in notices.values()):
        problems.append("notices are left waiting")
    for progress in SystemProgress.objects.filter(milestone_id__in=world.stepped):
        states = list(Step.objects.filter(milestone_id=progress.milestone_id).values_list("state"))
        counted = {state: states.count((state,)) for state in ("done", "in_progress")}
        if (progress.done, progress.in_progress) != (counted["done"], counted["in_progress"]):
            problems.append(f"the tally of milestone {progress.milestone_id} does not recount")
    last_day = date.fromisoformat(run.days[-1]) if run.days else FIRST_DAY
    overdue = Milestone.objects.filter(pk__in=world.milestone_ids).filter(
        Milestone.overdue_condition(last_day)
    )
    wrong_flags = (
        overdue.filter(overdue_since__isnull=True).count()
        + Milestone.objects.filter(pk__in=world.milestone_ids, overdue_since__isnull=False)
        .exclude(pk__in=overdue)
        .count()
    )
    if wrong_flags:
        problems.append(f"{wrong_flags} milestones flagged wrongly after the last day")
    failures = list(JobFailure.objects.values_list("job", "item", "reason"))
    if failures:
        problems.append(f"{len(failures)} job items failed: {failures[:3]}")
    if run.edit_errors:
        problems.append(f"{len(run.edit_errors)} edits failed: {run.edit_errors[:3]}")
    if run.fault_error:
        problems.append(f"a fault could not be injected: {run.fault_error}")
    if run.unconfirmed:
        problems.append(f"the morning job did not run on {', '.join(run.unconfirmed)}")
    if run.drained is None:
        problems.append("the jobs had not caught up when the bounded wait after the faults ended")
    elif run.sent_again and run.drained_again is None:
        problems.append("the notices sent again had not gone out when the bounded wait ended")
    runs = {}
    for name, _id, what in stack.tasks.events({}):
        if what == "succeeded":
            runs[name.rsplit(".", 1)[1]] = runs.get(name.rsplit(".", 1)[1], 0) + 1
    return {
        "passed": comparison.ok and not problems,
        "comparison": comparison,
        "window": ledger.window,
        "problems": problems,
        "digests": digests,
        "notices_delivered": len(delivered),
        "job_runs": runs,
    }


def _header(content: bytes, name: str) -> str | None:
    return email.message_from_bytes(content, policy=email.policy.default)[name]


def summary(run, result) -> dict:
    comparison = result["comparison"]
    return {
        "passed": result["passed"],
        "seed": run.seed,
        "days": len(run.days),
        "faults": _fault_counts(run),
        "owed": comparison.owed,
        "delivered": comparison.delivered,
        "owed_delivered": comparison.owed_delivered,
        "duplicated": [list(map(str, key)) for key in comparison.duplicated],
        "lost": [list(map(str, key)) for key in comparison.lost],
        "unowed": [list(map(str, key)) for key in comparison.unowed],
        "refused": comparison.refused,
        "no_longer_applied": comparison.no_longer_applied,
        "sent_again": len(run.sent_again),
        "window_seconds": result["window"],
        "problems": result["problems"],
        "faults_logged": [asdict(fault) for fault in run.faults],
    }


def _fault_counts(run) -> dict:
    counts = dict.fromkeys(FAULT_KINDS, 0)
    for fault in run.faults:
        counts[fault.kind] += 1
    return counts


def report(run, result) -> str:
    from bench import benchmarks

    comparison = result["comparison"]
    duration = run.now()
    minutes = max(duration / 60, 1e-9)
    counts = _fault_counts(run)
    load = ", ".join(f"{when} {a:.2f} {b:.2f} {c:.2f}" for when, (a, b, c) in run.load)
    lines = [
        "# Chaos soak",
        "",
        "Written by `make soak` (`python -m loadtest.soak`); do not edit by hand.",
        "",
        f"**{'Passed' if result['passed'] else 'FAILED'}.** {run.minutes:g} minutes of simulated "
        f"days ({len(run.days)} days, {run.days[0] if run.days else '—'} to "
        f"{run.days[-1] if run.days else '—'}) on PostgreSQL with a Redis of its own, two Celery "
        "workers, one beat, gunicorn and a loopback SMTP server, all on 127.0.0.1; "
        f"{duration / 60:.1f} minutes in all with setting up and catching up. Seed {run.seed} "
        f"(`python -m loadtest.soak --seed {run.seed}` injects the same faults at the same "
        "moments of the run; what they hit depends on timing).",
        "",
        "## Notices",
        "",
        "| owed | delivered once | refused (5xx), then sent again "
        "| no longer applied when sent again | lost | duplicated | unowed "
        "| also delivered, rightly |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
        f"| {comparison.owed} | {comparison.owed_delivered} | {comparison.refused} "
        f"| {comparison.no_longer_applied} | {len(comparison.lost)} "
        f"| {len(comparison.duplicated)} | {len(comparison.unowed)} "
        f"| {comparison.delivered - comparison.owed_delivered} |",
        "",
        "Owed: the notices the rules give (loadtest/ledger.py) from the milestones as they "
        "stood at the end of each day's edits, unless the milestone was closed or re-planned "
        f"within {result['window']:.0f} s after (how long a notice can rightly wait for the mail "
        "server: the retries' backoff, the jobs' periods, the longest mail-server fault and a "
        "restart), which may rightly overtake a notice still waiting. Delivered once: those in "
        "digests the mail server answered 250, each in one digest only. Refused, then sent "
        "again: owed notices in digests the server answered 5xx, which the tracker marks failed "
        "for the admin; after the run the operator sends every failed notice again with the "
        "admin's action, and they count as delivered when they then arrive. No longer applied: "
        "of those, the ones the tracker rightly left out when sent again, their milestone "
        "closed or re-planned by then. Also delivered, rightly: notices owed on their day by a "
        "state the ledger does not hold firm (before a closure or re-plan, or seen by a job "
        "while the day's edits were being made); each may arrive at most once. Unowed: "
        "delivered but owed by no such state.",
        "",
        "## Faults injected",
        "",
        "| fault | times |",
        "|---|--:|",
        *[f"| {kind} | {times} |" for kind, times in counts.items()],
        "",
        "## Checks",
        "",
        *(
            [f"- {problem}" for problem in result["problems"]]
            or ["- every check held: nothing claimed or waiting, tallies recount, flags hold"]
        ),
        *[f"- duplicated: {key}" for key in comparison.duplicated[:20]],
        *[f"- lost: {key}" for key in comparison.lost[:20]],
        *[f"- unowed: {key}" for key in comparison.unowed[:20]],
        "",
        "## Throughput",
        "",
        f"- digests accepted: {result['digests']} ({result['digests'] / minutes:.1f} a minute)",
        f"- notices delivered: {result['notices_delivered']}",
        f"- edits: {', '.join(f'{n} {what}' for what, n in run.edits.items())}",
        f"- job runs that succeeded: "
        f"{', '.join(f'{name} {n}' for name, n in sorted(result['job_runs'].items()))}",
        f"- caught up {run.drained:.0f} s after the faults stopped"
        if run.drained is not None
        else "- did not catch up",
        f"- failed notices sent again by the operator: {len(run.sent_again)}"
        + (
            f", out {run.drained_again:.0f} s later"
            if run.sent_again and run.drained_again is not None
            else ""
        ),
        "",
        "## Machine",
        "",
        f"- load average (1, 5, 15 min): {load}",
        *[f"- {key}: {value}" for key, value in benchmarks.machine().items()],
        "",
    ]
    return "\n".join(lines)
