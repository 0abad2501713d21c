from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "vardkontakt.notifications"
    label = "notifications"
