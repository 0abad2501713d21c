from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "vardkontakt.audit"
    label = "audit"
