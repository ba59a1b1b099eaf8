from django.urls import path

from roadmap.views import account, feeds, pages, schema

app_name = "roadmap"

urlpatterns = [
    # Reading side (timeline, dashboard, milestone, feeds, API).
    path("", pages.timeline, name="timeline"),
    path("milestones/<int:pk>/", pages.milestone_detail, name="milestone"),
    path("dashboard/", pages.dashboard, name="dashboard"),
    path("milestones.ics", feeds.ics, name="ics"),
    path("milestones.csv", feeds.csv_export, name="csv"),
    path("api/milestones/", feeds.api_milestones, name="api_milestones"),
    path("api/schema/", schema.openapi_view, name="api_schema"),
    # Signed-in user's notifications and settings.
    path("notifications/", account.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", account.mark_read, name="notification_read"),
    path("notifications/read-all/", account.mark_all_read, name="notifications_read_all"),
    path("settings/", account.preferences, name="settings"),
]
