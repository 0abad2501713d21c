from __future__ import annotations

from django.http import HttpRequest

from vardkontakt.identity.session import current_realm


def site(request: HttpRequest) -> dict[str, object]:
    return {"vk_realm": current_realm(request)}
