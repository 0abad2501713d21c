"""Where one request's cost goes, in-process (no HTTP, one client), for each scenario's page: the
queries it sends, CPU time per request, and the top functions by own time. Measures that do not
depend on how busy the machine is (query count, instructions) are what to compare between changes.
Run after seed.py:

    .venv/bin/python bench/profile_request.py [--database-url ...] [--repeat 100] [--only open_case]
    .venv/bin/python bench/profile_request.py --instructions 20     # + instructions/request (callgrind)

CPU ms is time.process_time() of this process (the PostgreSQL server's work is not in it) per request,
the median of five batches. Instructions per request come from valgrind's callgrind (one process; gcc
builds a small library for callgrind's client requests): after three warm-up requests of each page,
only N requests of each are counted, and the count is divided by N. They are the figure to compare on
a busy machine. The summary goes to bench/var/profile-<database>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DB, PYTHON, VAR, app_env, manage, setup_django
from seed import uid

SCENARIOS = ("resident_inbox", "clinic_inbox", "open_case", "send_case")


def pages(database_url: str) -> dict[str, Callable[[], object]]:
    """The four scenarios' requests, each a call on a logged-in Django test client."""
    setup_django(database_url)
    from django.test import Client

    from vardkontakt.cases.models import OPEN_STATUSES, Case, CaseType
    from vardkontakt.identity.models import Resident, Staff
    from vardkontakt.identity.session import AUTH_AT_KEY, BACKEND, METHOD_KEY, REALM_KEY, SEEN_AT_KEY, Realm

    def client_for(user, realm) -> Client:
        c = Client(enforce_csrf_checks=False, HTTP_HOST="127.0.0.1")
        c.force_login(user, backend=BACKEND)
        s = c.session
        now = int(time.time())
        s.update({REALM_KEY: realm.value, AUTH_AT_KEY: now, SEEN_AT_KEY: now, METHOD_KEY: "bench"})
        s.save()
        return c

    resident = Resident.objects.get(pk=uid("resident", 0))
    sender = Resident.objects.get(pk=uid("resident", 1))
    staff = Staff.objects.get(pk=uid("receiver", 0))
    rc, sc, snd = (
        client_for(resident.user, Realm.RESIDENT),
        client_for(staff.user, Realm.STAFF),
        client_for(sender.user, Realm.RESIDENT),
    )
    # The newest seeded open case of the busy clinic (the receiver's page with the most on it:
    # distribute, interim reply, close): not one that send_case has added (it sends as the sender),
    # so that every run opens the same case.
    case_id = (
        Case.objects.filter(unit_id=uid("unit", 0), status__in=OPEN_STATUSES)
        .exclude(resident=sender)
        .order_by("-last_activity")
        .values_list("pk", flat=True)[0]
    )
    ct = CaseType.objects.get(code="skicka-meddelande", unit__isnull=True)
    new = f"/mina-sidor/arenden/nytt/?mottagning={uid('unit', 0)}&typ={ct.pk}"
    return {
        "resident_inbox": lambda: rc.get("/mina-sidor/arenden/"),
        "clinic_inbox": lambda: sc.get("/vardpersonal/arenden/"),
        "open_case": lambda: sc.get(f"/vardpersonal/arenden/{case_id}/"),
        "send_case": lambda: snd.post(
            new,
            {
                "subject": "x",
                "body": "y",
                "accept_terms": "on",
                "idempotency_key": str(uuid.uuid4()),
                "resident": str(sender.pk),
            },
        ),
    }


# Client requests to callgrind (valgrind/callgrind.h), callable through ctypes: measure only the
# requests, not the start-up and the warm-up.
_CALLGRIND_C = r"""
#include <valgrind/callgrind.h>
void vk_measure_start(void) {
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
}
void vk_measure_stop(const char *name) {
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT(name);
    CALLGRIND_STOP_INSTRUMENTATION;
}
"""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"--instructions needs {name}")
    return path


def _callgrind_library() -> Path:
    VAR.mkdir(exist_ok=True)
    source, library = VAR / "callgrind_requests.c", VAR / "callgrind_requests.so"
    if not library.exists() or not source.exists() or source.read_text() != _CALLGRIND_C:
        source.write_text(_CALLGRIND_C)
        subprocess.run(  # noqa: S603 - the C compiler on our own source
            [_tool("gcc"), "-O1", "-shared", "-fPIC", "-o", str(library), str(source)], check=True
        )
    return library


def child(database_url: str, names: list[str], repeat: int) -> None:
    """Under callgrind: warm up every page, then measure ``repeat`` requests of each (one dump each)."""
    import ctypes

    library = ctypes.CDLL(str(_callgrind_library()))
    calls = pages(database_url)
    for name in names:
        for _ in range(3):
            calls[name]()
    for name in names:
        library.vk_measure_start()
        for _ in range(repeat):
            calls[name]()
        library.vk_measure_stop(name.encode())


def instructions(database_url: str, names: list[str], repeat: int) -> dict[str, int]:
    """Instructions per request of each page (callgrind), ``repeat`` requests after a warm-up."""
    _callgrind_library()
    out_dir = VAR / "callgrind"
    out_dir.mkdir(exist_ok=True)
    for old in out_dir.glob("cg.out*"):
        old.unlink()
    done = subprocess.run(  # noqa: S603 - valgrind on our own interpreter and this file
        [
            _tool("valgrind"),
            "--tool=callgrind",
            "--instr-atstart=no",
            "--collect-atstart=no",
            f"--callgrind-out-file={out_dir / 'cg.out'}",
            PYTHON,
            __file__,
            "--database-url",
            database_url,
            "--child",
            ",".join(names),
            "--repeat",
            str(repeat),
        ],
        env=app_env(database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    counts: dict[str, int] = {}
    for dump in out_dir.glob("cg.out.*"):
        text = dump.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: Client Request: (\S+)", text, re.MULTILINE)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
        if trigger and total:
            counts[trigger.group(1)] = round(int(total.group(1)) / repeat)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--instructions", type=int, default=0, help="requests per callgrind run (0: none)")
    parser.add_argument("--top", type=int, default=15, help="functions to list (0: no cProfile)")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        child(opts.database_url, opts.child.split(","), opts.repeat)
        return
    wanted = opts.only.split(",") if opts.only else list(SCENARIOS)
    if not (VAR / "static" / "staticfiles.json").exists():
        manage(opts.database_url, "collectstatic", "--noinput", "-v", "0")
    calls = pages(opts.database_url)
    from django.db import connection

    summary: dict[str, dict] = {}
    for name in wanted:
        call = calls[name]
        call()
        seen: list[tuple[float, str]] = []

        def wrapper(execute, sql, params, many, context, seen=seen):
            t = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                seen.append((time.perf_counter() - t, sql))

        with connection.execute_wrapper(wrapper):
            response = call()
        batch = max(1, opts.repeat // 5)
        cpu, wall = [], []
        for _ in range(5):
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(batch):
                call()
            cpu.append((time.process_time() - c0) / batch * 1000)
            wall.append((time.perf_counter() - t0) / batch * 1000)
        summary[name] = {
            "status": response.status_code,
            "queries": len(seen),
            "db_ms": round(1000 * sum(t for t, _ in seen), 2),
            "cpu_ms": round(statistics.median(cpu), 2),
            "wall_ms": round(statistics.median(wall), 2),
        }
        print(
            f"=== {name}: status {response.status_code}, {len(seen)} queries "
            f"({summary[name]['db_ms']:.1f} ms in the database), CPU {summary[name]['cpu_ms']:.1f} ms "
            f"and wall {summary[name]['wall_ms']:.1f} ms per request in-process (1 client)"
        )
        for t, sql in seen:
            print(f"   {1000 * t:6.2f} ms  {sql[:140]}")
        if opts.top:
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(10):
                call()
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(opts.top)
            print("\n".join(out.getvalue().splitlines()[6 : 11 + opts.top]))
    connection.close()
    if opts.instructions:
        for name, count in instructions(opts.database_url, wanted, opts.instructions).items():
            summary[name]["instructions"] = count
    print(
        f"\n{'page':16} {'status':>6} {'queries':>7} {'db ms':>7} {'cpu ms':>7} {'wall ms':>8} {'Minstr':>8}"
    )
    for name, row in summary.items():
        minstr = f"{row['instructions'] / 1e6:8.1f}" if "instructions" in row else f"{'-':>8}"
        print(
            f"{name:16} {row['status']:>6} {row['queries']:>7} {row['db_ms']:>7.2f} {row['cpu_ms']:>7.2f} "
            f"{row['wall_ms']:>8.2f} {minstr}"
        )
    VAR.mkdir(exist_ok=True)
    out_file = VAR / f"profile-{urlsplit(opts.database_url).path.lstrip('/')}.json"
    out_file.write_text(json.dumps(summary, indent=2))
    print(f"written: {out_file}")


if __name__ == "__main__":
    main()
