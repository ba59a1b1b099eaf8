from django.urls import path

app_name = "roadmap"

urlpatterns = [
    # Reading side (timeline, dashboard, milestone, feeds, API).
    # Signed-in user's notifications and settings.
]
