"""The users of `make load`: 50 readers of the public pages and 5 owners saving in the admin.

The driver (loadtest/run.py) starts gunicorn and passes, in the file named by LOAD_PLAN, the
milestone ids, owner codes, local governments' codes and the owners' accounts to use. Half the
readers keep the ETags of the feed and CSV they fetched and revalidate with If-None-Match, as
calendar apps do.
"""

import itertools
import json
import os
import random

from locust import HttpUser, between, task

from loadtest.forms import form_values

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
READERS = itertools.count()
OWNERS = itertools.count()


class Reader(HttpUser):
    """Reads the timeline, milestones, dashboard, programme, API, feed and CSV, with pauses."""

    fixed_count = 50
    wait_time = between(1, 3)

    def on_start(self):
        self.revalidates = next(READERS) % 2 == 0
        self.etags = {}

    @task(4)
    def timeline(self):
        page = random.randint(1, PLAN["timeline_pages"])
        self.client.get(f"/?page={page}", name="/ (timeline)")

    @task(4)
    def milestone(self):
        pk = random.choice(PLAN["milestones"])
        self.client.get(f"/milestones/{pk}/", name="/milestones/[id]/")

    @task(3)
    def api(self):
        owner = random.choice(PLAN["owners"])
        self.client.get(f"/api/milestones/?owner={owner}", name="/api/milestones/?owner=")

    @task(1)
    def dashboard(self):
        self.client.get("/dashboard/", name="/dashboard/")

    @task(1)
    def programme(self):
        self.client.get("/programme/", name="/programme/")

    @task(2)
    def programme_body(self):
        code = random.choice(PLAN["bodies"])
        self.client.get(f"/programme/{code}/", name="/programme/[code]/")

    @task(1)
    def api_programme(self):
        self.client.get("/api/programme/", name="/api/programme/")

    @task(2)
    def api_programme_body(self):
        code = random.choice(PLAN["bodies"])
        self.client.get(f"/api/programme/bodies/{code}/", name="/api/programme/bodies/[code]/")

    @task(1)
    def feed(self):
        self.conditional(f"/milestones.ics?owner={random.choice(PLAN['owners'])}", "ics")

    @task(1)
    def csv(self):
        self.conditional(f"/milestones.csv?owner={random.choice(PLAN['owners'])}", "csv")

    def conditional(self, path, kind):
        headers = {}
        if self.revalidates and path in self.etags:
            headers["If-None-Match"] = self.etags[path]
        name = f"/milestones.{kind}?owner= ({'revalidated' if headers else 'full'})"
        with self.client.get(path, headers=headers, name=name, catch_response=True) as answer:
            if answer.status_code in (200, 304):
                self.etags[path] = answer.headers.get("ETag", "")
                answer.success()
            else:
                answer.failure(f"status {answer.status_code}")


class Owner(HttpUser):
    """Signs in to the admin and changes the status of one of their milestones, with pauses."""

    fixed_count = 5
    wait_time = between(2, 5)

    def on_start(self):
        self.account = PLAN["accounts"][next(OWNERS) % len(PLAN["accounts"])]
        login = self.client.get("/admin/login/", name="/admin/login/")
        self.client.post(
            "/admin/login/?next=/admin/",
            data={
                "csrfmiddlewaretoken": form_values(login.text)["csrfmiddlewaretoken"],
                "username": self.account["username"],
                "password": self.account["password"],
                "next": "/admin/",
            },
            name="/admin/login/ (sign in)",
        )

    @task
    def save_status(self):
        pk = random.choice(self.account["milestones"])
        if not self.save(pk, "save", last_try=False):
            # The page said someone (the flagging job, say) changed the milestone after it was
            # opened: the owner reloads and reapplies the change, as the page asks.
            self.save(pk, "save again after an edit conflict", last_try=True)

    def save(self, pk, what, *, last_try):
        url = f"/admin/roadmap/milestone/{pk}/change/"
        form = self.client.get(url, name="/admin/roadmap/milestone/[id]/change/ (open)")
        values = form_values(form.text)
        values["status"] = "in_progress" if values.get("status") == "planned" else "planned"
        values["status_comment"] = "負荷試験による状態の更新"
        with self.client.post(
            url,
            data=values,
            name=f"/admin/roadmap/milestone/[id]/change/ ({what})",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code == 302:
                answer.success()
                return True
            if answer.status_code == 200 and not last_try:
                # The form came back: counted under its own name, not as an error.
                answer.success()
                return False
            answer.failure(f"not saved: status {answer.status_code}")
            return False
