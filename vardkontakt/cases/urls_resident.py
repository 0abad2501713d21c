from django.urls import path

from vardkontakt.cases import views_clinics, views_resident

app_name = "cases"

urlpatterns = [
    path("", views_resident.inbox, name="inbox"),
    path("nytt/", views_resident.new_case, name="new"),
    path("mottagningar/", views_clinics.my_clinics, name="my_clinics"),
    path("<str:case_id>/", views_resident.detail, name="detail"),
    path("<str:case_id>/status/", views_resident.tracker, name="tracker"),
    path("<str:case_id>/arkivera/", views_clinics.archive, name="archive"),
    path("<str:case_id>/bilagor/<str:attachment_id>/", views_resident.attachment, name="attachment"),
]
