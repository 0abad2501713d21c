"""The public side of connecting: the application form and the applicant's status page."""

from django.urls import URLPattern, path

from vardkontakt.onboarding import views_public

app_name = "onboarding_public"

urlpatterns: list[URLPattern] = [
    path("", views_public.apply, name="apply"),
    path("skickad/", views_public.sent, name="sent"),
    path("status/<str:token>/", views_public.status, name="status"),
]
