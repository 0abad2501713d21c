"""Every figure the speed sections of issues 3 (cases) and 4 (find care) ask for, in one command.

    scripts/bench                 # seeds the small and the large set, loads both, searches PostgreSQL and SQLite
    scripts/bench --reuse         # keeps a database that an earlier run seeded at that scale
    scripts/bench --scale small   # without the large set (then no large/small ratio)

1. The machine: cores, CPU model, memory, PostgreSQL's version and the settings that matter.
2. For each scale (small: vk_bench; large: vk_bench_large, ten times the data): seed.py (unless --reuse
   finds that scale's seed in the database), then load.py: the four scenarios over HTTP, and pgbench on
   the resident-inbox statement.
3. search.py on PostgreSQL (vk_bench_search) and on SQLite (var/search.sqlite3): 15,000 units.
4. One JSON line per figure, as the scripts print them, then a summary: every floor with the figure
   that meets it or not, and the resident-inbox p99 of the large set over the small set's. Everything to
   var/results-all.json. The exit status is 0 whether floors are met or not: this measures, it does not
   test.

Options after ``--`` go to load.py and search.py (``--duration``, ``--clients``, ``--workers``, ...).
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH, FLOORS, LARGE_OVER_SMALL_P99, PYTHON, SEARCH_FLOOR, VAR, floor_met

SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASES = {"small": "vk_bench", "large": "vk_bench_large"}


def machine() -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        pg = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in (
                "server_version",
                "shared_buffers",
                "effective_cache_size",
                "random_page_cost",
                "jit",
            )
        }
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "postgresql": pg,
    }


def seeded(scale: str) -> bool:
    """Whether an earlier seed.py run left this scale's data in its database."""
    name = DATABASES[scale]
    marker = VAR / f"seed-{name}.json"
    if not marker.exists() or json.loads(marker.read_text()).get("scale") != scale:
        return False
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def run(script: str, *args: str) -> None:
    print(f"== {script} {' '.join(args)}", flush=True)
    subprocess.run([PYTHON, str(BENCH / script), *args], check=True)  # noqa: S603 - our own scripts


def check(result: dict, floor: tuple[float, float]) -> dict:
    return {
        "throughput_per_s": result["throughput_per_s"],
        "p99_ms": result["p99_ms"],
        "errors": result["errors"],
        "floor": f">= {floor[0]:g}/s, p99 < {floor[1]:g} ms",
        "met": floor_met(result, floor),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=["small", "both"], default="both")
    parser.add_argument("--reuse", action="store_true", help="do not seed a scale that is already seeded")
    opts, load_args = parser.parse_known_args()
    load_args = [a for a in load_args if a != "--"]
    VAR.mkdir(exist_ok=True)
    summary: dict = {"machine": machine(), "floors": {}}
    print(json.dumps({"machine": summary["machine"]}), flush=True)

    scales = ["small", "large"] if opts.scale == "both" else ["small"]
    loads = {}
    for scale in scales:
        url = f"{SERVER}/{DATABASES[scale]}"
        if not (opts.reuse and seeded(scale)):
            run("seed.py", "--scale", scale, "--database-url", url)
        run("load.py", "--database-url", url, *load_args)
        loads[scale] = json.loads((VAR / f"results-{DATABASES[scale]}.json").read_text())
    for scale, result in loads.items():
        for name, floor in FLOORS.items():
            summary["floors"][f"{scale}: {name}"] = check(result["scenarios"][name], floor)
        summary[f"{scale}: app over pgbench (resident inbox)"] = result.get("app_over_pgbench_resident_inbox")
    if "large" in loads:
        small, large = (loads[s]["scenarios"]["resident_inbox"]["p99_ms"] for s in ("small", "large"))
        summary["floors"]["resident inbox p99, large over small"] = {
            "ratio": round(large / small, 2),
            "floor": f"<= {LARGE_OVER_SMALL_P99:g}",
            "met": large / small <= LARGE_OVER_SMALL_P99,
        }

    sqlite = VAR / "search.sqlite3"
    run("search.py", "--database-url", f"{SERVER}/vk_bench_search", "--sqlite", str(sqlite), *load_args)
    for label in ("vk_bench_search", sqlite.name):
        result = json.loads((VAR / f"results-search-{label}.json").read_text())
        for name, s in result["scenarios"].items():
            if result["vendor"] == "postgresql" and name == "api":
                summary["floors"]["search api (postgresql)"] = check(s, SEARCH_FLOOR)
            else:
                summary[f"search {name} ({result['vendor']})"] = {
                    "throughput_per_s": s["throughput_per_s"],
                    "p99_ms": s["p99_ms"],
                }
        summary[f"search relevance ({result['vendor']})"] = result["seed"].get("relevance")

    summary["all_floors_met"] = all(f["met"] for f in summary["floors"].values())
    (VAR / "results-all.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print("== summary")
    for name, value in summary.items():
        if name == "floors":
            for floor_name, f in value.items():
                figure = f.get("ratio") or f"{f['throughput_per_s']}/s, p99 {f['p99_ms']} ms"
                print(f"{'met' if f['met'] else 'NOT met':8} {floor_name}: {figure} ({f['floor']})")
        elif name not in ("machine", "all_floors_met"):
            print(f"{'':8} {name}: {json.dumps(value, ensure_ascii=False)}")
    print(json.dumps({"all_floors_met": summary["all_floors_met"]}))
    print(f"written: {VAR / 'results-all.json'}")


if __name__ == "__main__":
    main()
