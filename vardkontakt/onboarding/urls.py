"""The staff tool's connection pages: the region's queues and review pages, and each unit's page."""

from django.urls import URLPattern, path

from vardkontakt.onboarding import views

app_name = "onboarding"

# Ids are str, not uuid converters: a malformed id reaches the view and gets the same 404 page.
urlpatterns: list[URLPattern] = [
    path("", views.overview, name="overview"),
    path("ansokningar/<str:application_id>/", views.application, name="application"),
    path("lokal-administrator/<str:request_id>/", views.local_admin_request, name="local_admin_request"),
    path("enheter/<str:unit_id>/", views.unit, name="unit"),
]
