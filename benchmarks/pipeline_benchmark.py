"""Benchmark the pipeline on generated data: per stage, wall time, rows per second and peak
memory, beside one hand-written DuckDB query that computes the same monthly chargeback, and what
publishing the build costs (copying the working copy to the published file readers open).

The transformation is compared twice: process wall time (dbt's includes its start-up, about 6 s
of Python imports and project loading here, whatever the data), and work time - dbt's own
elapsed time for the run (run_results.json) against the query's execution time - which leaves
out program start-up on both sides.

    python benchmarks/pipeline_benchmark.py --rows 1000000 [--format json|parquet] [--workdir DIR]
    python benchmarks/pipeline_benchmark.py --workdir DIR --reuse-load   # dbt and the query again

Each stage runs in its own process, so its peak memory (max RSS) is its own. A figure, not a
test: nothing asserts, but it prints whether the hand-written query (hand_written_chargeback.sql)
returned the same rows as fct_chargeback_monthly, so the comparison is between equals.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchestration.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# The same monthly chargeback as fct_chargeback_monthly, by hand from the raw table and the seeds:
# the fastest way we know in DuckDB (see the file's header). Checked against the mart below.
HAND_WRITTEN_CHARGEBACK = (Path(__file__).parent / "hand_written_chargeback.sql").read_text()
DBT_RUN, HAND_QUERY, PUBLISH = "dbt run (transformation)", "hand-written DuckDB query", "publish (copy for readers)"
GRAIN = [
    "invoice_month",
    "billing_period_start",
    "provider_name",
    "billing_account_id",
    "billing_currency",
    "team",
    "workload_phase",
]
MONEY = ["direct_cost", "shared_cost", "effective_cost", "billed_cost", "list_cost", "credits_total"]


def compare_with_mart(con) -> str:
    """Whether the hand-written query returns fct_chargeback_monthly's rows (money within 0.01)."""
    con.execute(f"create temp table hand as {HAND_WRITTEN_CHARGEBACK}")
    matched = " and ".join(f"hand.{c} is not distinct from mart.{c}" for c in GRAIN)
    differs = " or ".join(
        [f"abs(hand.{c} - mart.{c}) > 0.01" for c in MONEY]
        + ["hand.line_item_count <> mart.line_item_count", "hand.team is null", "mart.team is null"]
    )
    differing, largest = con.execute(f"""
        select count(*) filter (where {differs}),
               max(greatest({", ".join(f"abs(hand.{c} - mart.{c})" for c in MONEY)}))
        from hand full outer join marts.fct_chargeback_monthly as mart on {matched}
    """).fetchone()
    rows = con.execute("select count(*) from marts.fct_chargeback_monthly").fetchone()[0]
    if differing:
        return f"NO: {differing} of {rows} rows differ"
    return f"yes, all {rows} rows (largest money difference {largest})"


def run_stage(name: str, command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run one stage as a child process; return (wall seconds, peak RSS in MB)."""
    print(f"--- {name}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"stage {name} failed")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", choices=["json", "parquet"], default="json")
    parser.add_argument("--workdir", help="where to put the export and warehouse (default: a temporary folder)")
    parser.add_argument(
        "--reuse-load",
        action="store_true",
        help="keep the export and raw table already in --workdir: time only seed, dbt and the query",
    )
    args = parser.parse_args()
    if args.reuse_load and not args.workdir:
        parser.error("--reuse-load needs --workdir")

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="chargeback-bench-"))
    export_dir, published = workdir / "export", workdir / "warehouse.duckdb"
    env = {**os.environ, "CHARGEBACK_DUCKDB_PATH": str(published), "DAGSTER_HOME": str(workdir / "dagster")}
    # dbt and the loader write the working copy; the publication copies it to `published`.
    warehouse = Settings.from_env(env).duckdb_working_path
    if not args.reuse_load:
        shutil.rmtree(export_dir, ignore_errors=True)
        shutil.rmtree(warehouse.parent, ignore_errors=True)
        published.unlink(missing_ok=True)
    dbt = [str(BIN / "dbt")]
    chargeback = [str(BIN / "chargeback")]

    load_stages = [
        (
            "generate",
            chargeback
            + [
                "generate",
                "gcp",
                "--rows",
                str(args.rows),
                "--seed",
                str(args.seed),
                "--out",
                str(export_dir),
                "--format",
                args.format,
            ],
        ),
        ("ingest", chargeback + ["ingest", "gcp", str(export_dir)]),
    ]
    stages = [] if args.reuse_load else load_stages
    stages += [
        ("dbt seed", dbt + ["seed", "--quiet"]),
        (DBT_RUN, dbt + ["run", "--quiet"]),
        ("dbt test (checks)", dbt + ["test", "--quiet"]),
        (
            HAND_QUERY,
            [
                sys.executable,
                "-c",
                (
                    "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=True); "
                    "con.execute(\"set memory_limit='3GB'\"); con.execute('set enable_progress_bar = false'); "
                    "started = time.perf_counter(); "
                    "con.execute(sys.argv[2]).fetchall(); "
                    "open(sys.argv[3], 'w').write(str(time.perf_counter() - started))"
                ),
                str(warehouse),
                HAND_WRITTEN_CHARGEBACK,
                str(workdir / "hand_query_seconds"),
            ],
        ),
        (
            PUBLISH,
            [
                sys.executable,
                "-c",
                "from orchestration.resources import warehouse_resource; from orchestration.settings import Settings; "
                "from orchestration.transform.project import chargeback_dbt_project; s = Settings.from_env(); "
                "p = warehouse_resource(s, chargeback_dbt_project(s)).publish(); "
                "print(f'published {p.bytes / 2**20:,.0f} MB in {p.seconds:.1f} s')",
            ],
        ),
    ]
    results, work = [], {}
    for name, command in stages:
        results.append((name, *run_stage(name, command, env)))
        if name == DBT_RUN:
            work[name] = json.loads((PROJECT_ROOT / "target" / "run_results.json").read_text())["elapsed_time"]
        elif name == HAND_QUERY:
            work[name] = float((workdir / "hand_query_seconds").read_text())

    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        loaded = con.execute("select count(*) from raw.gcp_billing_export_resource_v1").fetchone()[0]
        same_result = compare_with_mart(con)
    size_mb = sum(p.stat().st_size for p in export_dir.rglob("*") if p.is_file()) / 2**20

    print()
    print(f"rows loaded: {loaded:,}   export: {size_mb:,.0f} MB of {args.format}   cores: {os.cpu_count()}")
    print(f"{'stage':<30}{'wall s':>10}{'work s':>10}{'rows/s':>14}{'peak MB':>10}")
    for name, seconds, peak in results:
        worked = f"{work[name]:.1f}" if name in work else ""
        print(f"{name:<30}{seconds:>10.1f}{worked:>10}{loaded / seconds:>14,.0f}{peak:>10,.0f}")
    wall = {n: s for n, s, _ in results}
    print(
        f"dbt transformation / hand-written query: {work[DBT_RUN] / work[HAND_QUERY]:.2f}x in work time, "
        f"{wall[DBT_RUN] / wall[HAND_QUERY]:.2f}x in process wall time"
    )
    print(f"hand-written query returns fct_chargeback_monthly: {same_result}")
    print(
        f"publishing: {wall[PUBLISH]:.1f} s for {published.stat().st_size / 2**20:,.0f} MB "
        f"(working copy {warehouse.stat().st_size / 2**20:,.0f} MB), in DuckDB 1.4's storage version"
    )
    print(f"(work folder: {workdir})")


if __name__ == "__main__":
    main()
