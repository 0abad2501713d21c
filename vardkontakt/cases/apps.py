from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "vardkontakt.cases"
    label = "cases"
