from django.urls import path

from roadmap.views import (
    account,
    dashboard,
    feeds,
    indicators,
    owners,
    pages,
    plans,
    programme,
    programme_body,
    programme_report,
    schema,
)

app_name = "roadmap"

urlpatterns = [
    # Reading side (timeline, dashboard, milestone, feeds, API).
    path("", pages.timeline, name="timeline"),
    path("milestones/<int:pk>/", pages.milestone_detail, name="milestone"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("milestones.ics", feeds.ics, name="ics"),
    path("milestones.csv", feeds.csv_export, name="csv"),
    path("milestones.xlsx", feeds.xlsx_export, name="xlsx"),
    path("api/milestones/", feeds.api_milestones, name="api_milestones"),
    path("owners/", owners.owners, name="owners"),
    path("owners/options/", owners.owner_options, name="owner_options"),
    path("api/schema/", schema.openapi_view, name="api_schema"),
    path("indicators.csv", indicators.csv_indicators, name="indicators_csv"),
    path("api/indicators/", indicators.api_indicators, name="api_indicators"),
    # Editions of the plan and what changed between them.
    path("plans/", plans.plans, name="plans"),
    path("plans/<slug:code>/changes/", plans.plan_changes, name="plan_changes"),
    path("plans/<slug:code>/changes.csv", plans.plan_changes_csv, name="plan_changes_csv"),
    path("plans/<slug:code>/changes.xlsx", plans.plan_changes_xlsx, name="plan_changes_xlsx"),
    path("api/plans/<slug:code>/changes/", plans.api_plan_changes, name="api_plan_changes"),
    # The standardization programme: rates live or as of a snapshot, and the owners' report.
    path("programme/", programme.overview, name="programme"),
    path("programme/bodies.csv", programme.bodies_csv, name="programme_csv"),
    path("programme/bodies.xlsx", programme.bodies_xlsx, name="programme_xlsx"),
    path("programme/<str:code>/", programme_body.body_page, name="programme_body"),
    path("programme/<str:code>/report/", programme_report.report, name="programme_report"),
    path("api/programme/", programme.api_programme, name="api_programme"),
    path("api/programme/bodies/<str:code>/", programme_body.api_body, name="api_programme_body"),
    # Signed-in user's notifications and settings.
    path("notifications/", account.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", account.mark_read, name="notification_read"),
    path("notifications/read-all/", account.mark_all_read, name="notifications_read_all"),
    path("settings/", account.preferences, name="settings"),
]
