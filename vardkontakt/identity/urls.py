from django.urls import path

from vardkontakt.identity import views

app_name = "identity"

urlpatterns = [
    path("logga-in/", views.login, name="login"),
    path("vardpersonal/logga-in/", views.staff_login, name="staff_login"),
    path("om-inloggning/", views.about_login, name="about_login"),
    path("legitimera-igen/", views.step_up, name="step_up"),
    path("logga-ut/", views.logout, name="logout"),
    path("mina-sidor/villkor/", views.consent, name="consent"),
    path("mina-sidor/installningar/", views.settings_page, name="settings"),
    path("mina-sidor/installningar/aviseringar/", views.edit_notifications, name="edit_notifications"),
    path("mina-sidor/agera-for/", views.act_for, name="act_for"),
]
