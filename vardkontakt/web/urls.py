from django.urls import path

from vardkontakt.web import language, views, views_staff_help

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("mina-sidor/", views.resident_home, name="resident_home"),
    path("vardpersonal/", views.staff_home, name="staff_home"),
    path("vardpersonal/manual/", views_staff_help.manual_index, name="manual"),
    path("vardpersonal/manual/<str:slug>/", views_staff_help.manual_chapter, name="manual_chapter"),
    path("vardpersonal/support/", views_staff_help.support, name="support"),
    path("vardpersonal/support/region/<str:code>/", views_staff_help.region_support, name="region_support"),
    path("sprak/<str:code>/", language.choose_language, name="language"),
]
