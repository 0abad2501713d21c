"""Load test of Vårdkontakt over HTTP, against a database seeded by seed.py.

    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/vk_bench

1. collectstatic, then gunicorn on 127.0.0.1 (production-like settings: VK_DEBUG=0, VK_TLS=0,
   VK_ALLOW_SIMULATORS=1, a generated secret key, the key ring the seed sealed with).
2. Sessions for the busy resident (200 cases) and the receiver at the busy clinic (unit 0), written to
   the session table the way the tests' _start_session does (force_login plus the realm keys).
3. Per scenario: a warm-up, then --clients concurrent connections for --duration seconds, each sending
   one request after the other (closed loop, keep-alive). Bounded: it stops at the deadline or after
   --max-requests, whichever comes first. Prints one JSON object per scenario, with whether it met the
   issue's floor (common.FLOORS).
4. The resident-inbox SQL alone through pgbench (same client count and duration); the ratio
   app throughput / pgbench throughput; EXPLAIN (ANALYZE, BUFFERS) of both inbox queries.

Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    DEFAULT_DB,
    FLOORS,
    ROOT,
    VAR,
    add_load_options,
    app_env,
    captured_sql,
    floor_met,
    manage,
    setup_django,
)
from seed import synthetic_pnr, uid

HOST = "127.0.0.1"


# --- Fixtures in the database --------------------------------------------------------------------


def prepare(database_url: str) -> dict:
    """Sessions, CSRF token, the ids the scenarios use; the pgbench file; the EXPLAINs."""
    setup_django(database_url)
    from django.conf import settings
    from django.db import connection
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
    from django.test import Client

    from vardkontakt.cases import policy
    from vardkontakt.cases.lists import filter_by_tab, resident_inbox_page
    from vardkontakt.cases.models import Case, CaseType
    from vardkontakt.identity.models import Resident, Staff
    from vardkontakt.identity.session import AUTH_AT_KEY, BACKEND, METHOD_KEY, REALM_KEY, SEEN_AT_KEY, Realm

    resident = Resident.objects.get(pk=uid("resident", 0))
    assert resident.synthetic and Resident.index_for(synthetic_pnr(0)) == resident.pnr_index
    assert resident.personnummer == synthetic_pnr(0)  # the app opens what the seed sealed
    receiver = Staff.objects.get(pk=uid("receiver", 0))
    # The sender is another resident, so that the busy resident's inbox stays the same size run after run.
    sender = Resident.objects.get(pk=uid("resident", 1))
    unit_id = uid("unit", 0)

    def session_for(user, realm) -> str:
        client = Client()
        client.force_login(user, backend=BACKEND)
        session = client.session
        now = int(time.time())
        session.update({REALM_KEY: realm.value, AUTH_AT_KEY: now, SEEN_AT_KEY: now, METHOD_KEY: "bench"})
        session.save()
        return session.session_key

    secret = _get_new_csrf_string()
    # Seeded cases only: not those that earlier runs' send_case added (as the sender) to this clinic.
    case_ids = [
        str(pk)
        for pk in Case.objects.filter(unit_id=unit_id)
        .exclude(resident=sender)
        .order_by("-last_activity")
        .values_list("pk", flat=True)[:500]
    ]
    first = Case.objects.get(pk=case_ids[0])
    assert first.messages.first().body  # decrypts
    case_type = CaseType.objects.get(code="skicka-meddelande", unit__isnull=True)

    # The resident inbox's queries, as the app sends them (lists.resident_inbox_page: the page of
    # cases, then the unread counts of that page), for pgbench and EXPLAIN.
    with captured_sql(connection) as sent:
        rows, _cursor = resident_inbox_page(resident)
    resident_sqls = [connection.ops.compose_sql(sql, params) for sql, params in sent]
    staff_qs = filter_by_tab(policy.cases_visible_to_staff(receiver).filter(unit_id=unit_id), "nya")
    staff_qs = staff_qs.select_related("case_type", "handler", "resident").order_by("-last_activity", "-pk")[
        :26
    ]
    clinic_sql = connection.ops.compose_sql(*staff_qs.query.sql_with_params())
    (VAR / "pgbench_resident_inbox.sql").write_text("".join(f"{sql};\n" for sql in resident_sqls))
    explains = {}
    with connection.cursor() as cur:
        named = [(f"resident_inbox_{n + 1}", sql) for n, sql in enumerate(resident_sqls)]
        for name, sql in [*named, ("clinic_inbox", clinic_sql)]:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            explains[name] = "\n".join(r[0] for r in cur.fetchall())
            (VAR / f"explain_{name}.txt").write_text(sql + "\n\n" + explains[name] + "\n")
        cur.execute("SELECT count(*) FROM cases_case WHERE resident_id = %s", [resident.pk])
        resident_cases = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM cases_case WHERE unit_id = %s", [unit_id])
        unit_cases = cur.fetchone()[0]
    connection.close()
    return {
        "resident_session": session_for(resident.user, Realm.RESIDENT),
        "staff_session": session_for(receiver.user, Realm.STAFF),
        "sender_session": session_for(sender.user, Realm.RESIDENT),
        "sender_id": str(sender.pk),
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "csrf_secret": secret,
        "csrf_token": _mask_cipher_secret(secret),
        "resident_id": str(resident.pk),
        "unit_id": str(unit_id),
        "case_type_id": str(case_type.pk),
        "case_ids": case_ids,
        "explain": explains,
        "resident_cases": resident_cases,
        "unit_cases": unit_cases,
        "inbox_rows": len(rows),
    }


# --- A minimal HTTP/1.1 keep-alive client (cheap, so that the generator leaves the CPU to the app) --


class Conn:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def get(path: str, cookie: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nCookie: {cookie}\r\nAccept-Language: sv\r\n\r\n"
    ).encode()


def post(path: str, cookie: str, form: dict[str, str]) -> bytes:
    body = urlencode(form).encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nCookie: {cookie}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def run_scenario(port: int, make, expect: int, clients: int, seconds: float, max_requests: int) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    sent = 0

    async def worker(n: int) -> None:
        nonlocal sent
        conn = Conn(port)
        i = n
        while time.perf_counter() < deadline and sent < max_requests:
            sent += 1
            raw = make(i)
            i += clients
            t0 = time.perf_counter()
            try:
                status, _body = await asyncio.wait_for(conn.request(raw), timeout=30)
            except Exception as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                conn.close()
                continue
            latencies.append(time.perf_counter() - t0)
            if status != expect:
                errors[f"HTTP {status}"] = errors.get(f"HTTP {status}", 0) + 1
        conn.close()

    started, started_cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(n) for n in range(clients)))
    elapsed, client_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    latencies.sort()

    def pct(p: float) -> float:
        return (
            round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2) if latencies else 0.0
        )

    ok = len(latencies) - sum(v for k, v in errors.items() if k.startswith("HTTP"))
    return {
        "requests": len(latencies),
        "ok": ok,
        "seconds": round(elapsed, 2),
        "throughput_per_s": round(ok / elapsed, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(1000 * statistics.fmean(latencies), 2) if latencies else 0.0,
        "errors": errors,
        # The load generator's own CPU per request: what it takes of the cores it shares with the app.
        "client_cpu_ms": round(1000 * client_cpu / max(1, len(latencies)), 3),
    }


# --- gunicorn ------------------------------------------------------------------------------------


def start_server(
    database_url: str, port: int, workers: int, threads: int, worker_class: str
) -> subprocess.Popen:
    log = open(VAR / "gunicorn.log", "w")  # noqa: SIM115 - gunicorn writes to it while it runs
    cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "vardkontakt.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(  # noqa: S603 - our own gunicorn
        cmd, cwd=ROOT, env=app_env(database_url), stdout=log, stderr=log, start_new_session=True
    )
    for _ in range(100):
        time.sleep(0.2)
        try:
            import socket

            with socket.create_connection((HOST, port), timeout=0.5):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {VAR / 'gunicorn.log'}") from None
    raise SystemExit("gunicorn did not start within 20 s")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)  # the process group of the gunicorn we started, only
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def pgbench(database_url: str, clients: int, seconds: int) -> dict:
    parts = urlsplit(database_url)
    cmd = [
        "pgbench",
        "-n",
        "-c",
        str(clients),
        "-j",
        "2",
        "-T",
        str(seconds),
        "-f",
        str(VAR / "pgbench_resident_inbox.sql"),
        "-h",
        parts.hostname or HOST,
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
        parts.path.lstrip("/"),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603 - pgbench
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    lat = re.search(r"latency average = ([\d.]+) ms", out)
    return {"tps": tps, "latency_avg_ms": float(lat.group(1)) if lat else None}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_DB)
    add_load_options(parser, port=8765)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    opts = parser.parse_args()
    if urlsplit(opts.database_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("The bench database must be on this machine.")
    if opts.duration < 15:
        print("note: the issue asks for at least 15 s per scenario", file=sys.stderr)
    VAR.mkdir(exist_ok=True)
    manage(opts.database_url, "collectstatic", "--noinput", "-v", "0")
    fx = prepare(opts.database_url)
    # Each client sends the CSRF cookie, as a browser does once the first page has set it (without it,
    # every page would make a new secret and send it back in a Set-Cookie header).
    csrf = f"{fx['csrf_cookie']}={fx['csrf_secret']}"
    res_cookie = f"{fx['session_cookie']}={fx['resident_session']}; {csrf}"
    staff_cookie = f"{fx['session_cookie']}={fx['staff_session']}; {csrf}"
    send_cookie = f"{fx['session_cookie']}={fx['sender_session']}; {csrf}"
    case_ids = fx["case_ids"]
    new_path = "/mina-sidor/arenden/nytt/?" + urlencode(
        {"mottagning": fx["unit_id"], "typ": fx["case_type_id"]}
    )

    def send_form(_i: int) -> bytes:
        return post(
            new_path,
            send_cookie,
            {
                "csrfmiddlewaretoken": fx["csrf_token"],
                "subject": "Fråga om provsvar",
                "body": "Hej! Jag undrar om mina provsvar har kommit. Tack på förhand.",
                "accept_terms": "on",
                "idempotency_key": str(uuid.uuid4()),
                "resident": fx["sender_id"],
            },
        )

    scenarios = {
        "resident_inbox": (lambda i: get("/mina-sidor/arenden/", res_cookie), 200),
        "clinic_inbox": (lambda i: get("/vardpersonal/arenden/", staff_cookie), 200),
        "open_case": (
            lambda i: get(f"/vardpersonal/arenden/{case_ids[i % len(case_ids)]}/", staff_cookie),
            200,
        ),
        "send_case": (send_form, 302),
    }
    wanted = [s for s in (opts.only.split(",") if opts.only else scenarios)]
    proc = start_server(opts.database_url, opts.port, opts.workers, opts.threads, opts.worker_class)
    results: dict = {
        "database": urlsplit(opts.database_url).path.lstrip("/"),
        "server": f"gunicorn {opts.worker_class}, {opts.workers} workers x {opts.threads} threads",
        "clients": opts.clients,
        "resident_cases": fx["resident_cases"],
        "busy_unit_cases": fx["unit_cases"],
        "scenarios": {},
    }
    try:
        # A check that the pages are what we think (not a login page or an error).
        async def check() -> None:
            c = Conn(opts.port)
            status, body = await c.request(get("/mina-sidor/arenden/", res_cookie))
            assert status == 200 and re.search(rb"/mina-sidor/arenden/[0-9a-f-]{36}/", body), (
                status,
                body[:300],
            )
            status, body = await c.request(get(f"/vardpersonal/arenden/{case_ids[0]}/", staff_cookie))
            assert status == 200, status
            status, body = await c.request(send_form(0))
            assert status == 302, (status, body[:2000])
            c.close()

        asyncio.run(check())
        for name in wanted:
            make, expect = scenarios[name]
            asyncio.run(run_scenario(opts.port, make, expect, opts.clients, opts.warmup, opts.max_requests))
            result = asyncio.run(
                run_scenario(opts.port, make, expect, opts.clients, opts.duration, opts.max_requests)
            )
            result["floor_met"] = floor_met(result, FLOORS[name])
            results["scenarios"][name] = result
            print(json.dumps({"scenario": name, **result}), flush=True)
    finally:
        stop_server(proc)
    pg = pgbench(opts.database_url, opts.clients, int(opts.duration))
    app = results["scenarios"].get("resident_inbox", {}).get("throughput_per_s")
    results["pgbench_resident_inbox"] = pg
    if app:
        results["app_over_pgbench_resident_inbox"] = round(app / pg["tps"], 3)
    print(
        json.dumps(
            {"pgbench_resident_inbox": pg, "app_over_pgbench": results.get("app_over_pgbench_resident_inbox")}
        )
    )
    results["explain"] = fx["explain"]
    out = VAR / f"results-{results['database']}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
