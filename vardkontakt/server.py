"""The HTTP server's worker: gunicorn's sync worker, which ends a finished connection at once.

    gunicorn --worker-class vardkontakt.server.SyncWorker --workers 3 vardkontakt.wsgi

gunicorn 27 ends every connection "gracefully" (RFC 9112, section 9.6): it sends its FIN, then reads until
the client closes too, for up to 2 s, so that request bytes the application left unread cannot make the
kernel answer with a reset that cuts off the response. A sync worker serves one connection at a time, so
until the client's FIN arrives it serves nobody. On the benchmark's two cores, with the client on the same
machine, that wait cost a tenth of the searches a second (bench/README.md, "Eleventh round").

When the request had no body, or its body was read to the end, and no byte has arrived after it, there is
nothing to drain: this worker shuts the socket's reading side, and the graceful close that follows finds
the end at once. Every other request (a body left unread or chunked, bytes after the request, an error
answered by gunicorn itself, TLS served by gunicorn) keeps gunicorn's graceful close.
"""

from __future__ import annotations

import socket
import ssl

from gunicorn.http.body import LengthReader
from gunicorn.workers import sync


def shut_reading_if_done(client: socket.socket, req) -> bool:
    """Shut the reading side of ``client`` when nothing of the request ``req`` is left to drain."""
    if isinstance(client, ssl.SSLSocket):
        return False  # gunicorn serving TLS itself: its close stays as it is (recv takes no flags)
    reader = req.body.reader
    if not isinstance(reader, LengthReader) or reader.length:  # chunked, or a body not read to its end
        return False
    try:
        if client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
            return False  # bytes after the request: let the graceful close drain them
    except BlockingIOError:
        pass  # nothing has arrived
    except OSError:
        return False  # reset by the client: the close has nothing to protect
    try:
        client.shutdown(socket.SHUT_RD)
    except OSError:
        return False
    return True


class SyncWorker(sync.SyncWorker):
    def handle_request(self, listener, req, client, addr):
        super().handle_request(listener, req, client, addr)
        shut_reading_if_done(client, req)
