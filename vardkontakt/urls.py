from django.urls import include, path

from vardkontakt.web import views as web_views

urlpatterns = [
    path("", include("vardkontakt.web.urls")),
    path("", include("vardkontakt.identity.urls")),
    path("", include("vardkontakt.identity.eid.urls_bankid")),
    path("", include("vardkontakt.identity.eid.urls_oidc")),
    path("hitta-vard/", include("vardkontakt.directory.urls")),
    path("mina-sidor/arenden/", include("vardkontakt.cases.urls_resident")),
    path("vardpersonal/arenden/", include("vardkontakt.cases.urls_staff")),
    path("vardpersonal/aviseringar/", include("vardkontakt.notifications.urls")),
    path("vardpersonal/logggranskning/", include("vardkontakt.audit.urls")),
    path("vardpersonal/mottagning/", include("vardkontakt.directory.urls_settings")),
    path("vardpersonal/behorigheter/", include("vardkontakt.roles.urls")),
    path("vardpersonal/anslutning/", include("vardkontakt.onboarding.urls")),
    path("anslutning/", include("vardkontakt.onboarding.urls_public")),
    path("api/", include("vardkontakt.api.urls")),
]

handler400 = web_views.error_400
handler403 = web_views.error_403
handler404 = web_views.error_404
handler500 = web_views.error_500
