from django.urls import path

from vardkontakt.directory import views, views_information

app_name = "directory"

urlpatterns = [
    path("", views.search, name="search"),
    path("<str:unit_id>/", views.unit, name="unit"),
    path("<str:unit_id>/informationsmaterial.pdf", views_information.information_pdf, name="information"),
]
