from django.urls import URLPattern, path

from vardkontakt.roles import views

app_name = "roles"

urlpatterns: list[URLPattern] = [
    # A str, not a uuid converter: a malformed unit id reaches the view and gets the same 404 page.
    path("<str:unit_id>/", views.grants, name="grants"),
    path("<str:unit_id>/ny/", views.grant_new, name="grant_new"),
    path("<str:unit_id>/<int:grant_id>/ta-bort/", views.grant_revoke, name="grant_revoke"),
    path("<str:unit_id>/<int:grant_id>/slutdatum/", views.grant_end, name="grant_end"),
]
