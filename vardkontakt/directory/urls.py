from django.urls import path

from vardkontakt.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.search, name="search"),
    path("<str:unit_id>/", views.unit, name="unit"),
]
