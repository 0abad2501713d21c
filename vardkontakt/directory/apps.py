from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DirectoryConfig(AppConfig):
    name = "vardkontakt.directory"
    label = "directory"

    def ready(self) -> None:
        from vardkontakt.directory.search_index import install_sqlite_after_migrate

        post_migrate.connect(install_sqlite_after_migrate, sender=self, dispatch_uid="directory_search_index")
