from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "vardkontakt.directory"
    label = "directory"
