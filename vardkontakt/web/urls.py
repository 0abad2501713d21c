from django.urls import path

from vardkontakt.web import language, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("mina-sidor/", views.resident_home, name="resident_home"),
    path("vardpersonal/", views.staff_home, name="staff_home"),
    path("sprak/<str:code>/", language.choose_language, name="language"),
]
