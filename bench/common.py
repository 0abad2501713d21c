"""What the bench scripts share: paths, the bench environment (production-like settings), the key ring,
the load options, capturing the SQL the app sends."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VAR = BENCH / "var"  # key ring, secret key, static files, logs (git-ignored)
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/vk_bench"

# The floors the issues set on this 2-core machine: (requests per second at least, p99 under ms).
FLOORS = {  # issue 3, cases
    "resident_inbox": (400.0, 50.0),
    "clinic_inbox": (400.0, 50.0),
    "open_case": (400.0, 60.0),
    "send_case": (200.0, 100.0),
}
LARGE_OVER_SMALL_P99 = 1.5  # issue 3: the resident inbox's p99 on the large set over the small set's
SEARCH_FLOOR = (500.0, 25.0)  # issue 4: the search API on PostgreSQL


def floor_met(result: dict, floor: tuple[float, float]) -> bool:
    """Whether a scenario's result (run_scenario's) meets a floor, without errors."""
    return result["throughput_per_s"] >= floor[0] and result["p99_ms"] < floor[1] and not result["errors"]


def _secret(name: str, make) -> str:
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return str(path)


def keyring_file() -> str:
    """The key ring the seed seals with and the server opens with (created once, kept in bench/var)."""

    def make() -> str:
        import base64

        return json.dumps(
            {
                "primary": "bench1",
                "keys": {"bench1": base64.b64encode(secrets.token_bytes(32)).decode()},
                "mac_key": base64.b64encode(secrets.token_bytes(32)).decode(),
            }
        )

    return _secret("keyring.json", make)


def secret_key() -> str:
    return Path(_secret("secret_key", lambda: secrets.token_urlsafe(64))).read_text().strip()


def app_env(database_url: str) -> dict[str, str]:
    """Production-like settings pointed at the bench database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VK_") and k != "DATABASE_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "vardkontakt.settings",
            "DATABASE_URL": database_url,
            "VK_DEBUG": "0",
            "VK_TLS": "0",
            "VK_ALLOW_SIMULATORS": "1",
            "VK_SECRET_KEY": secret_key(),
            "VK_KEYRING_FILE": keyring_file(),
            "VK_VAR_DIR": str(VAR),
            "VK_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "VK_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def setup_django(database_url: str) -> None:
    """Configure Django in this process with the bench environment."""
    os.environ.update(app_env(database_url))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(database_url: str, *args: str) -> None:
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [PYTHON, str(ROOT / "manage.py"), *args], cwd=ROOT, env=app_env(database_url), check=True
    )


def add_load_options(parser: argparse.ArgumentParser, port: int) -> None:
    """The options of a load run over HTTP (load.py, search.py): the server and the clients."""
    parser.add_argument("--port", type=int, default=port)
    # gunicorn as README.md recommends for production on this 2-core machine: 3 sync workers (about
    # 1.5 x the cores), each serving one request at a time, a new connection per request as behind
    # a TLS proxy; the project's sync worker (vardkontakt.server) ends a finished connection without
    # waiting for the client's FIN. gunicorn's own "sync" is what rounds 4-10 measured, "gthread"
    # with --workers 4 --threads 2 what rounds 1-3 did.
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="per worker (gthread)")
    parser.add_argument(
        "--worker-class",
        choices=["vardkontakt.server.SyncWorker", "sync", "gthread"],
        default="vardkontakt.server.SyncWorker",
        help="the project's sync worker (the default) or gunicorn's: one request at a time, a new "
        "connection per request (as behind a proxy); gthread keeps connections alive",
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--max-requests", type=int, default=200_000, help="per scenario; a bound, not a target"
    )


@contextmanager
def captured_sql(connection) -> Iterator[list[tuple[str, object]]]:
    """The statements (SQL, parameters) ``connection`` sends inside the block, in order."""
    sent: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        yield sent
