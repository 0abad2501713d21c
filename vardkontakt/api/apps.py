from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "vardkontakt.api"
    label = "api"
