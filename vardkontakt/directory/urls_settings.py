from django.urls import URLPattern, path

from vardkontakt.directory import views_settings

app_name = "unit_settings"

urlpatterns: list[URLPattern] = [
    path("", views_settings.hub_list, name="hub_list"),
    # A str, not a uuid converter: a malformed unit id reaches the view and gets the same 404 page.
    path("<str:unit_id>/", views_settings.hub, name="hub"),
    path("<str:unit_id>/installningar/", views_settings.settings, name="settings"),
    path("<str:unit_id>/installningar/kontaktkort/", views_settings.edit_description, name="description"),
    path(
        "<str:unit_id>/installningar/betjaningsomrade/", views_settings.edit_service_area, name="service_area"
    ),
    path("<str:unit_id>/installningar/aviseringar/", views_settings.edit_notifications, name="notifications"),
]
