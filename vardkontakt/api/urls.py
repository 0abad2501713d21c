from django.urls import path

from vardkontakt.api.routers import api

urlpatterns = [path("v1/", api.urls)]
