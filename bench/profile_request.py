"""Where one request's time goes, in-process (no HTTP): query count and the top functions by cumulative
time, for each scenario's page. Run after seed.py:

    .venv/bin/python bench/profile_request.py [--database-url ...] [--repeat 50]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DB, setup_django
from seed import uid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=50)
    opts = parser.parse_args()
    setup_django(opts.database_url)
    from django.db import connection
    from django.test import Client

    from vardkontakt.cases.models import Case, CaseType
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
    case_id = (
        Case.objects.filter(unit_id=uid("unit", 0)).order_by("-last_activity").values_list("pk", flat=True)[0]
    )
    ct = CaseType.objects.get(code="skicka-meddelande", unit__isnull=True)
    new = f"/mina-sidor/arenden/nytt/?mottagning={uid('unit', 0)}&typ={ct.pk}"
    pages = {
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
    for name, call in pages.items():
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
        t0 = time.perf_counter()
        for _ in range(opts.repeat):
            call()
        per = (time.perf_counter() - t0) / opts.repeat * 1000
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(10):
            call()
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
        print(
            f"=== {name}: status {response.status_code}, {len(seen)} queries ({1000 * sum(t for t, _ in seen):.1f} ms in the database), "
            f"{per:.1f} ms per request in-process (1 client)"
        )
        for t, sql in seen:
            print(f"   {1000 * t:6.2f} ms  {sql[:140]}")
        print("\n".join(out.getvalue().splitlines()[6:26]))


if __name__ == "__main__":
    main()
