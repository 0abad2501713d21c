from django.urls import URLPattern, path

from vardkontakt.cases import views_blocks, views_bulk, views_staff, views_types

app_name = "staff_cases"

urlpatterns: list[URLPattern] = [
    # Clinic settings (views_types.py, LOCAL_ADMIN; views_blocks.py, UNIT_MANAGER), before the case id.
    path("installningar/arendetyper/", views_types.types, name="types"),
    path("installningar/arendetyper/ny/", views_types.type_new, name="type_new"),
    path("installningar/arendetyper/<str:type_id>/", views_types.type_edit, name="type_edit"),
    path("installningar/arendetyper/<str:type_id>/invanare/", views_types.type_grants, name="type_grants"),
    path("installningar/godkanda-invanare/", views_types.approved_residents, name="approved_residents"),
    path("installningar/blockeringar/", views_blocks.guardian_blocks, name="guardian_blocks"),
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
