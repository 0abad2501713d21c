from django.urls import URLPattern, path

from vardkontakt.cases import views_bulk, views_staff

app_name = "staff_cases"

urlpatterns: list[URLPattern] = [
    path("", views_staff.inbox, name="inbox"),
    path("mina/", views_staff.mine, name="mine"),
    # A str, not a uuid converter: a malformed id reaches the view and gets the same 404 page.
    path("<str:case_id>/", views_staff.detail, name="detail"),
    path("<str:case_id>/bilagor/<str:attachment_id>/", views_staff.attachment, name="attachment"),
]

# Reverse flow (views_bulk.py): two path segments, so never taken for a case id above.
urlpatterns += [
    path("utskick/nytt/", views_bulk.bulk_new, name="bulk_new"),
    path("utskick/<str:bulk_id>/", views_bulk.bulk_detail, name="bulk_detail"),
]
