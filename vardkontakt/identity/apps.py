from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "vardkontakt.identity"
    label = "identity"

    def ready(self) -> None:
        from vardkontakt.identity.eid.registry import refuse_simulators_in_production

        refuse_simulators_in_production()
