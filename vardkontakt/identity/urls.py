from django.urls import path

from vardkontakt.identity import views
from vardkontakt.identity.eid import demo

app_name = "identity"

urlpatterns = [
    path("logga-in/", views.login, name="login"),
    path("logga-in/demo/", demo.resident_login, name="demo_resident_login"),
    path("vardpersonal/logga-in/", views.staff_login, name="staff_login"),
    path("vardpersonal/logga-in/demo/", demo.staff_login, name="demo_staff_login"),
    path("logga-ut/", views.logout, name="logout"),
    path("mina-sidor/agera-for/", views.act_for, name="act_for"),
]
