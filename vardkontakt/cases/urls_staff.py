from django.urls import URLPattern, path

from vardkontakt.cases import views_staff

app_name = "staff_cases"

urlpatterns: list[URLPattern] = [
    path("", views_staff.inbox, name="inbox"),
    path("mina/", views_staff.mine, name="mine"),
    # A str, not a uuid converter: a malformed id reaches the view and gets the same 404 page.
    path("<str:case_id>/", views_staff.detail, name="detail"),
]
