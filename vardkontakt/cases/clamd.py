"""A small client of clamd's INSTREAM command, over a unix socket or TCP.

The protocol (clamd(8)): send ``zINSTREAM\\0``, then the data as chunks, each a 4-byte big-endian
length followed by that many bytes, then a zero length. clamd answers one NUL-terminated line:
``stream: OK``, ``stream: <signature> FOUND``, or ``... ERROR`` (for example when the stream is longer
than its StreamMaxLength). Anything else, a refused connection or a timeout is a ``ClamdError``: the
caller must then refuse the file (fail closed), never let it through unscanned.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from django.conf import settings

CHUNK = 64 * 1024
MAX_REPLY = 4096


class ClamdError(Exception):
    """clamd could not be reached or did not give a verdict."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str = ""  # what clamd found, when not clean


@dataclass(frozen=True)
class Clamd:
    socket_path: str = ""
    host: str = ""
    port: int = 3310
    timeout: float = 30.0

    def _connect(self) -> socket.socket:
        try:
            if self.socket_path:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(self.timeout)
                try:
                    sock.connect(self.socket_path)
                except BaseException:
                    sock.close()
                    raise
                return sock
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise ClamdError(f"cannot connect to clamd: {exc.__class__.__name__}") from exc

    def _command(self, payload: bytes, chunks: list[bytes] | None = None) -> str:
        with self._connect() as sock:
            try:
                sock.sendall(payload)
                if chunks is not None:
                    for chunk in chunks:
                        sock.sendall(struct.pack(">I", len(chunk)) + chunk)
                    sock.sendall(struct.pack(">I", 0))
                reply = b""
                while not reply.endswith(b"\0"):
                    part = sock.recv(MAX_REPLY)
                    if not part:
                        break
                    reply += part
                    if len(reply) > MAX_REPLY:
                        raise ClamdError("clamd's reply is too long")
            except OSError as exc:
                raise ClamdError(f"clamd connection failed: {exc.__class__.__name__}") from exc
        if not reply.endswith(b"\0"):
            raise ClamdError("clamd closed the connection without a reply")
        return reply[:-1].decode("utf-8", "replace").strip()

    def ping(self) -> bool:
        try:
            return self._command(b"zPING\0") == "PONG"
        except ClamdError:
            return False

    def scan(self, data: bytes) -> Verdict:
        """Scan ``data``; raises ClamdError unless clamd says clean or names what it found."""
        chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
        reply = self._command(b"zINSTREAM\0", chunks)
        # "stream: OK" / "stream: Eicar-Signature FOUND"; older clamd versions write "1: stream: ...".
        _prefix, _sep, result = reply.rpartition("stream: ")
        if result == "OK":
            return Verdict(clean=True)
        if result.endswith(" FOUND"):
            return Verdict(clean=False, signature=result.removesuffix(" FOUND").strip())
        raise ClamdError(f"clamd gave no verdict: {reply[:200]!r}")


def from_settings() -> Clamd | None:
    """The configured clamd, or None when virus scanning is not configured."""
    path = getattr(settings, "VK_CLAMD_SOCKET", "")
    host = getattr(settings, "VK_CLAMD_HOST", "")
    timeout = float(getattr(settings, "VK_CLAMD_TIMEOUT", 30))
    if path:
        return Clamd(socket_path=path, timeout=timeout)
    if host:
        return Clamd(host=host, port=int(getattr(settings, "VK_CLAMD_PORT", 3310)), timeout=timeout)
    return None
