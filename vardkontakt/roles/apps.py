from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "vardkontakt.roles"
    label = "roles"
