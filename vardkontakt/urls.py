from django.urls import include, path

from vardkontakt.web import views as web_views

# Django tries the patterns in order, so the areas under a prefix come first, the API (whose requests
# are the most numerous) before them: each include of "" below holds patterns that every request
# passing it is matched against. No pattern of those starts with one of these prefixes, so the order
# decides nothing else (tests/test_urls.py checks that every path resolves to its own pattern).
urlpatterns = [
    path("api/", include("vardkontakt.api.urls")),
    path("hitta-vard/", include("vardkontakt.directory.urls")),
    path("mina-sidor/arenden/", include("vardkontakt.cases.urls_resident")),
    path("vardpersonal/arenden/", include("vardkontakt.cases.urls_staff")),
    path("vardpersonal/aviseringar/", include("vardkontakt.notifications.urls")),
    path("vardpersonal/logggranskning/", include("vardkontakt.audit.urls")),
    path("vardpersonal/mottagning/", include("vardkontakt.directory.urls_settings")),
    path("vardpersonal/behorigheter/", include("vardkontakt.roles.urls")),
    path("vardpersonal/anslutning/", include("vardkontakt.onboarding.urls")),
    path("anslutning/", include("vardkontakt.onboarding.urls_public")),
    path("", include("vardkontakt.web.urls")),
    path("", include("vardkontakt.identity.urls")),
    path("", include("vardkontakt.identity.eid.urls_bankid")),
    path("", include("vardkontakt.identity.eid.urls_oidc")),
]

handler400 = web_views.error_400
handler403 = web_views.error_403
handler404 = web_views.error_404
handler500 = web_views.error_500
