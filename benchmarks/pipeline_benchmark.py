"""Benchmark the pipeline on generated data: per stage, wall time, rows per second and peak
memory, beside one hand-written DuckDB query that computes the same monthly chargeback.

    python benchmarks/pipeline_benchmark.py --rows 1000000 [--format json|parquet] [--workdir DIR]

Each stage runs in its own process, so its peak memory (max RSS) is its own. A figure, not a
test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# The same monthly chargeback as fct_chargeback_monthly, written by hand against the raw table
# and the seeds, the fastest way we know in DuckDB: one pass, list functions for labels.
HAND_WRITTEN_CHARGEBACK = """
with
keys as (
    select list(alias order by priority) filter (where canonical_key = 'team') as team_keys,
           list(alias order by priority) filter (where canonical_key = 'workload_phase') as phase_keys
    from seeds.tag_key_aliases
),
items as (
    select
        billing_account_id, invoice.month as invoice_month, currency,
        service.description as service_description, sku.description as sku_description,
        coalesce(resource.name, '') as resource_name,
        cast(cost as decimal(38,9))
          + coalesce(list_sum(list_transform(credits, lambda c: cast(c.amount as decimal(38,9)))), 0) as net_cost,
        list_filter(labels, lambda l: list_contains(team_keys, replace(replace(lower(trim(l.key)), '-', '_'), ' ', '_')) and trim(l.value) <> '')[1].value as resource_team,
        list_filter(project.labels, lambda l: list_contains(team_keys, replace(replace(lower(trim(l.key)), '-', '_'), ' ', '_')) and trim(l.value) <> '')[1].value as project_team,
        list_filter(labels, lambda l: list_contains(phase_keys, replace(replace(lower(trim(l.key)), '-', '_'), ' ', '_')) and trim(l.value) <> '')[1].value as resource_phase
    from raw.gcp_billing_export_resource_v1, keys
),
rules as (
    select signatures.*, first(rules.workload_phase order by rules.priority) as rule_phase
    from (select distinct coalesce(service_description, '') as service_description,
                 coalesce(sku_description, '') as sku_description, resource_name from items) as signatures
    join seeds.workload_phase_rules as rules
      on (rules.service_pattern is null or lower(signatures.service_description) like rules.service_pattern)
     and (rules.sku_pattern is null or lower(signatures.sku_description) like rules.sku_pattern)
     and (rules.resource_pattern is null or lower(signatures.resource_name) like rules.resource_pattern)
    group by all
)
select
    items.billing_account_id, items.invoice_month, items.currency,
    case when items.resource_team is not null then coalesce(rt.team, 'unallocated')
         when items.project_team is not null then coalesce(pt.team, 'unallocated')
         else 'unallocated' end as team,
    coalesce(phase.workload_phase, rules.rule_phase, 'unclassified') as workload_phase,
    sum(items.net_cost) as effective_cost
from items
left join seeds.team_aliases as rt on replace(lower(trim(items.resource_team)), '_', '-') = rt.alias
left join seeds.team_aliases as pt on replace(lower(trim(items.project_team)), '_', '-') = pt.alias
left join seeds.workload_phase_aliases as phase on replace(replace(lower(trim(items.resource_phase)), '-', '_'), ' ', '_') = phase.alias
left join rules on coalesce(items.service_description, '') = rules.service_description
               and coalesce(items.sku_description, '') = rules.sku_description
               and items.resource_name = rules.resource_name
group by all
"""


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
    args = parser.parse_args()

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="chargeback-bench-"))
    export_dir, warehouse = workdir / "export", workdir / "warehouse.duckdb"
    shutil.rmtree(export_dir, ignore_errors=True)
    warehouse.unlink(missing_ok=True)
    env = {**os.environ, "CHARGEBACK_DUCKDB_PATH": str(warehouse), "DAGSTER_HOME": str(workdir / "dagster")}
    dbt = [str(BIN / "dbt")]
    chargeback = [str(BIN / "chargeback")]

    stages = [
        ("generate", chargeback + ["generate", "gcp", "--rows", str(args.rows), "--seed", str(args.seed),
                                   "--out", str(export_dir), "--format", args.format]),
        ("ingest", chargeback + ["ingest", "gcp", str(export_dir)]),
        ("dbt seed", dbt + ["seed", "--quiet"]),
        ("dbt run (transformation)", dbt + ["run", "--quiet"]),
        ("dbt test (checks)", dbt + ["test", "--quiet"]),
        ("hand-written DuckDB query", [sys.executable, "-c", (
            "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
            "con.execute(\"set memory_limit='3GB'\"); con.execute(sys.argv[2]).fetchall()"
        ), str(warehouse), HAND_WRITTEN_CHARGEBACK]),
    ]
    results = [(name, *run_stage(name, command, env)) for name, command in stages]

    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        loaded = con.execute("select count(*) from raw.gcp_billing_export_resource_v1").fetchone()[0]
    size_mb = sum(p.stat().st_size for p in export_dir.rglob("*") if p.is_file()) / 2**20

    print()
    print(f"rows loaded: {loaded:,}   export: {size_mb:,.0f} MB of {args.format}   cores: {os.cpu_count()}")
    print(f"{'stage':<30}{'wall s':>10}{'rows/s':>14}{'peak MB':>10}")
    for name, seconds, peak in results:
        print(f"{name:<30}{seconds:>10.1f}{loaded / seconds:>14,.0f}{peak:>10,.0f}")
    transformation = dict((n, s) for n, s, _ in results)
    ratio = transformation["dbt run (transformation)"] / transformation["hand-written DuckDB query"]
    print(f"dbt transformation / hand-written query: {ratio:.2f}x")
    print(f"(work folder: {workdir})")


if __name__ == "__main__":
    main()
