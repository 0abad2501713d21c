"""Django's PostgreSQL backend, with a health check of a kept connection that sends nothing.

Connections are kept between requests (``CONN_MAX_AGE``) and checked before a request uses one
(``CONN_HEALTH_CHECKS``), so that a connection the server has ended (a restart, a failover,
``pg_terminate_backend``, an idle timeout) is replaced instead of failing the request. Django's check
sends ``SELECT 1``: a round trip, with the process switches it costs on both sides, on every request
(bench/README.md, "Fifth round"). An idle connection that the server has ended has something to read
(the server's last message, or the end of the stream); a live idle one has nothing, since the app
never listens for notifications. So the check asks the socket instead."""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        """Whether the kept connection can serve the next request: open, idle (no transaction left
        over) and with nothing unasked-for from the server. Anything the server sent to an idle
        connection counts against it: at worst a connection is replaced that could have served."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable
