from django.urls import URLPattern, path

from vardkontakt.notifications import views

app_name = "notifications"

urlpatterns: list[URLPattern] = [
    path("", views.staff_settings, name="staff_settings"),
]
