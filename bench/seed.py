"""Seed a PostgreSQL database for the Vårdkontakt benchmark, in bulk (COPY through psycopg).

    .venv/bin/python bench/seed.py --scale small|large --database-url postgres://postgres@127.0.0.1:5432/vk_bench

Drops and re-creates the database named in the URL, migrates it, seeds the demo region (case types,
the demo units and staff) and then generates, with COPY and no ORM per row:

    scale   residents   cases      messages     units    access-log rows
    small   50,000      250,000    ~1,000,000   1,500    100,000
    large   500,000     2,500,000  ~10,000,000  15,000   1,000,000

Every bench resident is synthetic (``synthetic = true``): its personnummer-shaped identifier has
month 13 and day 00 (``YYYY1300NNNN``), which no personnummer or coordination number can have, so it
can never be a real person's nor one of Skatteverket's test numbers; nothing in the app parses stored
numbers (the blind index is an HMAC of the 12 digits, so ``Resident.index_for`` works on them).
Free text (case subjects, form answers, message bodies, the personnummer) is sealed with
crypto.envelope.seal under the bench key ring, with the associated data the app uses
(``"<app.Model>.<attribute>:<pk>"``), so the app opens it as if it had written it.

Shape: resident 0 ("the busy resident") has 200 cases; the others 1-9 (mean 5). Unit 0 ("the busy
clinic") receives 2 % of all cases; the rest are spread evenly. Each case has 1-8 messages (a new one: 1; ~4.3 on average),
alternately from the resident and the unit's handler. Statuses: 70 % closed, 15 % answered,
7 % distributed, 3 % interim, 5 % sent (new). Each unit has one case receiver and one case handler.
Secondary indexes and foreign keys of the bulk tables are dropped during the load and re-created
after it (the same definitions, read from the catalogue), then everything is ANALYZEd.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DB, ROOT, VAR, keyring_file, manage

sys.path.insert(0, str(ROOT))

SCALES = {
    "small": {"residents": 50_000, "units": 1_500, "access_log": 100_000},
    "large": {"residents": 500_000, "units": 15_000, "access_log": 1_000_000},
}
BUSY_RESIDENT_CASES = 200
BUSY_UNIT_SHARE = 0.02
CHUNK = 2_000  # residents per transaction in a worker
BULK_TABLES = [
    "identity_user",
    "identity_resident",
    "identity_staff",
    "directory_unit",
    "directory_uniteservice",
    "cases_unitcasetype",
    "roles_rolegrant",
    "cases_case",
    "cases_message",
    "cases_statuschange",
    "audit_accesslogentry",
]
NOW = datetime.now(UTC).replace(microsecond=0)
STATUSES = ["closed"] * 70 + ["answered"] * 15 + ["distributed"] * 7 + ["interim"] * 3 + ["sent"] * 5
GIVEN = ["Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Per", "Lena", "Nils", "Sara", "Olof"]
FAMILY = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson"]
MUNICIPALITIES = ["0180", "0184", "0160", "0162", "0182", "0186", "0188", "0191"]
BODY = (
    "Hej! Jag har haft ont i halsen i tre dagar och undrar om jag behöver komma in eller om det räcker "
    "med att vänta. Jag har ingen feber men det gör ont att svälja. Tacksam för svar. "
)


def uid(kind: str, index: int) -> uuid.UUID:
    """A deterministic, random-looking UUID (version 4 bits), so processes agree on ids without lists."""
    raw = bytearray(hashlib.blake2b(f"{kind}:{index}".encode(), digest_size=16, key=b"vk-bench").digest())
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(raw))


def synthetic_pnr(index: int) -> str:
    """12 digits with month 13 and day 00: never a personnummer, never a coordination number."""
    return f"{1930 + index // 10_000:04d}1300{index % 10_000:04d}"


def admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def timed(label: str):
    class _T:
        def __enter__(self):
            self.t = time.perf_counter()
            print(f"-- {label} ...", flush=True)

        def __exit__(self, *exc):
            print(f"   {label}: {time.perf_counter() - self.t:.1f} s", flush=True)

    return _T()


# --- Indexes and foreign keys: drop for the load, re-create after --------------------------------


def drop_secondary(conn: psycopg.Connection) -> list[str]:
    """Drop FKs and non-constraint indexes of the bulk tables; return the statements to restore them."""
    restore: list[str] = []
    tables = tuple(BULK_TABLES)
    fks = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
        (list(tables),),
    ).fetchall()
    idx = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname)",
        (list(tables),),
    ).fetchall()
    for table, name, definition in fks:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in idx:
        conn.execute(f'DROP INDEX "{name}"')
        restore.insert(0, definition)  # indexes first, then the FKs (which use them)
    return restore


# --- The workers ---------------------------------------------------------------------------------


def _ring():
    from vardkontakt.crypto.keyring import parse_keyring

    return parse_keyring(Path(keyring_file()).read_text(), "bench")


def residents_chunk(args: tuple) -> tuple[int, int, int]:
    """Users, residents, their cases, messages and history for residents [start, stop)."""
    url, start, stop, n_units, case_types, seed = args
    from vardkontakt.crypto.envelope import seal

    ring = _ring()
    rnd = random.Random(seed)  # noqa: S311 - data, not secrets
    n_cases = n_msgs = 0
    busy_unit_every = int(1 / BUSY_UNIT_SHARE)
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        cur = conn.cursor()
        users, residents, cases, messages, history = [], [], [], [], []
        for r in range(start, stop):
            user_id, res_id = uid("ruser", r), uid("resident", r)
            digits = synthetic_pnr(r)
            users.append(("!bench", None, user_id, "resident", True, NOW))
            residents.append(
                (
                    res_id,
                    seal(digits.encode(), f"identity.Resident.personnummer:{res_id}".encode(), ring),
                    ring.mac("blind-index:personnummer", digits.encode()).hex(),
                    False,
                    date(1930 + r // 10_000, 6, 15),
                    GIVEN[r % len(GIVEN)],
                    FAMILY[(r // 7) % len(FAMILY)],
                    MUNICIPALITIES[r % len(MUNICIPALITIES)],
                    False,
                    False,
                    True,
                    user_id,
                    NOW - timedelta(days=400),
                )
            )
            count = BUSY_RESIDENT_CASES if r == 0 else rnd.randint(1, 9)
            for k in range(count):
                ci = r * 1000 + k  # case index: unique, stable
                case_id = uid("case", ci)
                unit_no = 0 if rnd.randrange(busy_unit_every) == 0 else rnd.randrange(n_units)
                unit_id = uid("unit", unit_no)
                handler = uid("handler", unit_no)
                handler_user = uid("huser", unit_no)
                type_id = case_types[rnd.randrange(len(case_types))]
                status = STATUSES[rnd.randrange(len(STATUSES))]
                created = NOW - timedelta(seconds=rnd.randrange(3 * 365 * 86400))
                n_m = rnd.randint(1, 8) if status != "sent" else 1
                at = created
                for m in range(n_m):
                    msg_id = uid("message", ci * 8 + m)
                    from_staff = m % 2 == 1
                    last = m == n_m - 1
                    messages.append(
                        (
                            msg_id,
                            "staff" if from_staff else "resident",
                            False,
                            seal(
                                (BODY * (1 + m % 3)).encode(),
                                f"cases.Message.body:{msg_id}".encode(),
                                ring,
                            ),
                            at,
                            None
                            if (from_staff and last and status != "closed")
                            else (at if from_staff else None),
                            handler_user if from_staff else user_id,
                            case_id,
                        )
                    )
                    if not last:
                        at = min(NOW, at + timedelta(seconds=rnd.randrange(1, 5 * 86400)))
                n_msgs += n_m
                assigned = status in ("distributed", "interim", "answered", "closed")
                cases.append(
                    (
                        case_id,
                        f"B-{ci}",
                        False,
                        seal(b"Ont i halsen", f"cases.Case.subject:{case_id}".encode(), ring),
                        seal(b"{}", f"cases.Case.answers:{case_id}".encode(), ring),
                        status,
                        created,
                        at,
                        (created + timedelta(days=3)).date(),
                        True,
                        uid("idem", ci),
                        handler if status in ("answered", "closed") else None,
                        user_id,
                        handler if assigned else None,
                        res_id,
                        unit_id,
                        type_id,
                        False,
                    )
                )
                history.append(("", "sent", created, "", user_id, case_id))
                if status != "sent":
                    history.append(("sent", status, at, "", handler_user, case_id))
                n_cases += 1
            if (r + 1 - start) % CHUNK == 0 or r == stop - 1:
                _copy(cur, "identity_user", "password,last_login,id,kind,is_active,created_at", users)
                _copy(
                    cur,
                    "identity_resident",
                    "id,pnr_sealed,pnr_index,is_coordination_number,birth_date,given_name,family_name,"
                    "municipality_code,protected_identity,deceased,synthetic,user_id,consented_at",
                    residents,
                )
                _copy(
                    cur,
                    "cases_case",
                    "id,number,by_guardian,subject_sealed,answers_sealed,status,created_at,last_activity,"
                    "promised_by,resident_may_reply,idempotency_key,answered_by_id,created_by_id,handler_id,"
                    "resident_id,unit_id,case_type_id,archived_by_resident",
                    cases,
                )
                _copy(
                    cur,
                    "cases_message",
                    "id,author_kind,interim,body_sealed,created_at,read_by_resident_at,author_id,case_id",
                    messages,
                )
                _copy(cur, "cases_statuschange", "from_status,to_status,at,reason,by_id,case_id", history)
                conn.commit()
                users, residents, cases, messages, history = [], [], [], [], []
    return stop - start, n_cases, n_msgs


def _copy(cur: psycopg.Cursor, table: str, columns: str, rows: list[tuple]) -> None:
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def access_log_chunk(args: tuple) -> int:
    url, start, stop, n_units, n_residents, seed = args
    rnd = random.Random(seed)  # noqa: S311 - data, not secrets
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        cur = conn.cursor()
        rows = []
        for _i in range(start, stop):
            unit_no = rnd.randrange(n_units)
            r = rnd.randrange(n_residents)
            rows.append(
                (
                    NOW - timedelta(seconds=rnd.randrange(3 * 365 * 86400)),
                    "CASE_RECEIVER",
                    "case",
                    str(uid("case", r * 1000)),
                    "case.read",
                    uid("rcuser", unit_no),
                    uid("resident", r),
                    uid("unit", unit_no),
                )
            )
        _copy(
            cur,
            "audit_accesslogentry",
            "at,acting_role,object_type,object_id,action,actor_id,subject_id,unit_id",
            rows,
        )
        conn.commit()
    return stop - start


# --- Units and staff (main process; small) -------------------------------------------------------


def seed_units(conn: psycopg.Connection, n_units: int, case_types: list[uuid.UUID]) -> None:
    region_id = conn.execute("SELECT id FROM directory_region WHERE code = '01'").fetchone()[0]
    provider_id = conn.execute("SELECT id FROM directory_careprovider ORDER BY id LIMIT 1").fetchone()[0]
    cur = conn.cursor()
    units, services, unit_types, users, staff, grants = [], [], [], [], [], []
    for u in range(n_units):
        unit_id = uid("unit", u)
        units.append(
            (
                unit_id,
                f"SE2321000016-B{u:06d}",
                f"Bänkmottagningen {u:05d}",
                "primary_care",
                "active",
                f"Bänkgatan {u % 200 + 1}",
                "17165",
                "Solna",
                MUNICIPALITIES[u % len(MUNICIPALITIES)],
                "08-123 456 00",
                "Mån-fre 8-17",
                "",
                "[]",
                "",
                provider_id,
                region_id,
            )
        )
        services.append(("cases", True, unit_id))
        for t in case_types:
            unit_types.append((True, t, unit_id))
        for role, kind in (("CASE_RECEIVER", "receiver"), ("CASE_HANDLER", "handler")):
            user_id = uid("rcuser" if kind == "receiver" else "huser", u)
            staff_id = uid(kind, u)
            users.append(("!bench", None, user_id, "staff", True, NOW))
            staff.append(
                (
                    staff_id,
                    f"SE2321000016-{'R' if kind == 'receiver' else 'H'}{u:06d}",
                    GIVEN[u % 12],
                    FAMILY[u % 8],
                    "Sjuksköterska",
                    user_id,
                )
            )
            grants.append(
                (role, NOW - timedelta(days=365), NOW - timedelta(days=365), None, "bench", staff_id, unit_id)
            )
    _copy(
        cur,
        "directory_unit",
        "id,hsa_id,name,care_type,status,street_address,postal_code,city,municipality_code,phone,opening_hours,"
        "description,service_area_municipalities,service_area_sex,provider_id,region_id",
        units,
    )
    _copy(cur, "directory_uniteservice", "service,active,unit_id", services)
    _copy(cur, "cases_unitcasetype", "active,case_type_id,unit_id", unit_types)
    _copy(cur, "identity_user", "password,last_login,id,kind,is_active,created_at", users)
    _copy(cur, "identity_staff", "id,hsa_id,given_name,family_name,title,user_id", staff)
    _copy(cur, "roles_rolegrant", "role,granted_at,valid_from,valid_to,reference,staff_id,unit_id", grants)
    conn.commit()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--processes", type=int, default=2)
    opts = parser.parse_args()
    scale, url = SCALES[opts.scale], opts.database_url
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("The bench database must be on this machine (127.0.0.1).")
    admin, name = admin_url(url)
    total = time.perf_counter()
    with timed("create database"), psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with timed("migrate"):
        manage(url, "migrate", "-v", "0")
    with timed("demo region (case types, demo units and staff)"):
        manage(url, "seed_demo")
    n_res, n_units = scale["residents"], scale["units"]
    with psycopg.connect(url) as conn:
        case_types = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM cases_casetype WHERE unit_id IS NULL AND basic AND NOT outbound ORDER BY code"
            )
        ]
        with timed("drop secondary indexes and foreign keys"):
            restore = drop_secondary(conn)
            conn.commit()
        with timed(f"units and staff ({n_units:,} units, {2 * n_units:,} staff)"):
            seed_units(conn, n_units, case_types)
    step = max(CHUNK, n_res // (opts.processes * 8) // CHUNK * CHUNK)
    jobs = [(url, s, min(s + step, n_res), n_units, case_types, 1000 + s) for s in range(0, n_res, step)]
    with timed(f"residents, cases, messages, history ({n_res:,} residents, {opts.processes} processes)"):
        done = [0, 0, 0]
        with mp.get_context("spawn").Pool(opts.processes) as pool:
            for res, cases, msgs in pool.imap_unordered(residents_chunk, jobs):
                done = [done[0] + res, done[1] + cases, done[2] + msgs]
                print(f"   {done[0]:,} residents, {done[1]:,} cases, {done[2]:,} messages", flush=True)
    n_log = scale["access_log"]
    log_step = max(10_000, n_log // (opts.processes * 4))
    with timed(f"access log ({n_log:,} rows)"), mp.get_context("spawn").Pool(opts.processes) as pool:
        list(
            pool.imap_unordered(
                access_log_chunk,
                [
                    (url, s, min(s + log_step, n_log), n_units, n_res, 7 + s)
                    for s in range(0, n_log, log_step)
                ],
            )
        )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        with timed(f"re-create {len(restore)} indexes and foreign keys"):
            for statement in restore:
                conn.execute(statement)
        with timed("analyze"):
            conn.execute("VACUUM (ANALYZE)")
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed names
            for t in (
                "identity_resident",
                "directory_unit",
                "cases_case",
                "cases_message",
                "audit_accesslogentry",
            )
        }
    VAR.mkdir(exist_ok=True)
    (VAR / f"seed-{name}.json").write_text(json.dumps({"scale": opts.scale, "counts": counts}, indent=2))
    print(json.dumps({"scale": opts.scale, "counts": counts}, indent=2))
    print(f"total: {time.perf_counter() - total:.1f} s")


if __name__ == "__main__":
    main()
