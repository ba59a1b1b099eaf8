from django.urls import path

from roadmap.views import account, feeds, indicators, pages

app_name = "roadmap"

urlpatterns = [
    # Reading side (timeline, dashboard, milestone, feeds, API).
    path("", pages.timeline, name="timeline"),
    path("milestones/<int:pk>/", pages.milestone_detail, name="milestone"),
    path("dashboard/", pages.dashboard, name="dashboard"),
    path("milestones.ics", feeds.ics, name="ics"),
    path("milestones.csv", feeds.csv_export, name="csv"),
    path("api/milestones/", feeds.api_milestones, name="api_milestones"),
    path("indicators.csv", indicators.csv_indicators, name="indicators_csv"),
    path("api/indicators/", indicators.api_indicators, name="api_indicators"),
    # Signed-in user's notifications and settings.
    path("notifications/", account.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", account.mark_read, name="notification_read"),
    path("notifications/read-all/", account.mark_all_read, name="notifications_read_all"),
    path("settings/", account.preferences, name="settings"),
]
