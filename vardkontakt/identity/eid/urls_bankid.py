"""BankID login for residents. Included into the root URLconf at ``""``."""

from django.urls import path

from vardkontakt.identity.eid import bankid_views

app_name = "bankid"

urlpatterns = [
    path("logga-in/bankid/", bankid_views.start, name="start"),
    path("logga-in/bankid/<str:order_ref>/qr/", bankid_views.qr, name="qr"),
    path("logga-in/bankid/<str:order_ref>/status/", bankid_views.status, name="status"),
    path("logga-in/bankid/<str:order_ref>/avbryt/", bankid_views.cancel, name="cancel"),
]
