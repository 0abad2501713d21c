"""Freja eID Plus and SITHS login over OpenID Connect. Included by the root URLconf at path ""."""

from django.urls import path

from vardkontakt.identity.eid import oidc_views

app_name = "oidc"

urlpatterns = [
    path("logga-in/freja/", oidc_views.start, {"provider": "freja"}, name="freja_start"),
    path("logga-in/freja/retur/", oidc_views.callback, {"provider": "freja"}, name="freja_callback"),
    path("vardpersonal/logga-in/siths/", oidc_views.start, {"provider": "siths"}, name="siths_start"),
    path(
        "vardpersonal/logga-in/siths/retur/",
        oidc_views.callback,
        {"provider": "siths"},
        name="siths_callback",
    ),
]
