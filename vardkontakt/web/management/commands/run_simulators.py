from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from vardkontakt.identity.adapters import local_register
from vardkontakt.simulators.people import SimResident, SimStaff
from vardkontakt.simulators.server import build_app, serve
from vardkontakt.web.demo import REGION_ORG, STAFF


def demo_people() -> tuple[list[SimResident], list[SimStaff]]:
    residents = [SimResident(p.personnummer, p.given_name, p.family_name) for p in local_register().people()]
    staff = [SimStaff(f"SE{REGION_ORG}-{s.hsa_suffix}", s.given, s.family) for s in STAFF]
    return residents, staff


class Command(BaseCommand):
    help = "Serve the e-ID simulators (BankID RP API v6, Freja eID Plus and SITHS over OIDC) on loopback."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.VK_EID_SIMULATORS:
            raise CommandError(
                "VK_EID_SIMULATORS is off: the application is not set up to use the simulators."
            )
        url = urlsplit(settings.VK_SIMULATOR_URL)
        residents, staff = demo_people()
        app = build_app(settings.VK_SIMULATOR_URL, residents, staff, settings.VK_FREJA_CLIENT_SECRET)
        server = serve(app, url.hostname or "127.0.0.1", url.port or 8010)
        self.stdout.write(f"e-ID simulators at {settings.VK_SIMULATOR_URL}/bankid/app/ (the BankID app)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
