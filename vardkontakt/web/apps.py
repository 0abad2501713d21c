from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "vardkontakt.web"
    label = "web"
