from django.urls import URLPattern, path

from vardkontakt.audit import views

app_name = "logreview"

# Ids are str, not uuid converters: a malformed id reaches the view and gets the same 404 page.
urlpatterns: list[URLPattern] = [
    path("", views.start, name="start"),
    path("urval/<str:filter_id>/", views.filter_page, name="filter"),
    path("urval/<str:filter_id>/stickprov/", views.sample, name="sample"),
    path("urval/<str:filter_id>/export/", views.filter_export, name="filter_export"),
    path("granskningar/<str:review_id>/", views.review_page, name="review"),
    path("granskningar/<str:review_id>/poster/<int:position>/", views.review_item, name="item"),
    path("granskningar/<str:review_id>/export/", views.review_export, name="review_export"),
]
