from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from vardkontakt.identity.models import User


class EIdBackend:
    """Loads the logged-in user for each request. There is no password to check: a session starts only
    through ``identity.session.start_session`` after an e-ID provider has completed its protocol."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> User | None:
        # The resident or staff row comes in the same query: every logged-in page asks for it.
        return User.objects.select_related("resident", "staff").filter(pk=user_id, is_active=True).first()
