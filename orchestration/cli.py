"""The `chargeback` command: the Dagster jobs, headless, step by step.

    chargeback demo [--rows N] [--seed S] [--as-of YYYY-MM-DD] [--months M] [--export-dir DIR]
    chargeback check-config [--seeds-dir DIR]
    chargeback generate gcp --rows N --seed S --out DIR [--format json|parquet] [--as-of YYYY-MM-DD]
    chargeback ingest gcp PATH...
    chargeback build
    chargeback prepare
    chargeback freshness
    chargeback report [--ground-truth DIR] [--html DIR]
    chargeback quality docs

`ingest`, `build` and `demo` run the same jobs that the Dagster UI and the schedule run.
`build` (and so `demo`) checks the configuration seeds first and stops on any problem.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from orchestration.report_site import write_report
from orchestration.settings import PROJECT_ROOT, Settings

DEMO_EXPORT_DIR = PROJECT_ROOT / "data" / "demo" / "gcp-export"
DAGSTER_HOME = PROJECT_ROOT / "data" / "dagster"


@cache
def settings() -> Settings:
    """The settings, read from the environment once per command."""
    return Settings.from_env()


@cache
def definitions():
    """The definitions `dagster dev` loads, after preparing the dbt manifest for the settings."""
    from orchestration.transform.project import chargeback_dbt_project, prepare

    prepare(chargeback_dbt_project(settings()), settings())
    from orchestration.definitions import defs

    return defs


def _instance():
    """The Dagster instance of $DAGSTER_HOME (default data/dagster), so CLI runs show in `dagster dev`."""
    import os

    import dagster as dg

    from orchestration.locks import hold

    # Dagster's own variable, which DagsterInstance.get() reads: given a default for this process.
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(DAGSTER_HOME)))
    config = home / "dagster.yaml"
    # One process at a time writes dagster.yaml and creates the SQLite storage of a new home:
    # two commands started together otherwise both run its migrations ("table alembic_version
    # already exists"). Creating an existing instance takes a moment, so the wait is short.
    with hold(config, "creating the Dagster instance", wait_seconds=120, subject=f"the Dagster home {home}"):
        _add_missing_instance_settings(config)
        return dg.DagsterInstance.get()


# What the CLI adds to $DAGSTER_HOME/dagster.yaml when the file does not say otherwise.
INSTANCE_SETTINGS = {
    # A FinOps warehouse often runs where nothing may call home.
    "telemetry": "telemetry:\n  enabled: false\n",
    # The daemon fails runs that never start or never finish canceling (not a STARTED run whose
    # worker died: the default run launcher cannot tell; see docs/operating.md, "Runs that end").
    "run_monitoring": "run_monitoring:\n  enabled: true\n",
}


def _add_missing_instance_settings(config: Path) -> None:
    """Append each of INSTANCE_SETTINGS whose top-level key the file lacks (the rest of the file,
    comments included, stays as written)."""
    import yaml

    present = (yaml.safe_load(config.read_text()) or {}) if config.exists() else {}
    missing = [text for key, text in INSTANCE_SETTINGS.items() if key not in present]
    if missing:
        existing = config.read_text() if config.exists() else ""
        separator = "" if not existing or existing.endswith("\n") else "\n"
        config.write_text(existing + separator + "".join(missing))


def execute(job_def, instance, run_config=None):
    """Execute a job in this process, as every command does: first mark failed any run a killed
    `chargeback` left unfinished (it would block the schedule and sensor), then run this one
    tagged with this process, so that the next command can tell if it is killed in turn.

    A run interrupted by SIGINT or SIGTERM (Dagster has stopped dbt and marked the run failed)
    ends the command: KeyboardInterrupt, not the next step of the command."""
    from orchestration.processes import fail_dead_runs, process_tags

    for message in fail_dead_runs(instance):
        print(f"[chargeback] {message}", file=sys.stderr, flush=True)
    result = job_def.execute_in_process(
        run_config=run_config, instance=instance, raise_on_error=False, tags=process_tags()
    )
    if _was_interrupted(result):
        raise KeyboardInterrupt(f"during {job_def.name} (run {result.run_id}, marked failed)")
    return result


def _was_interrupted(result) -> bool:
    """Whether Dagster ended the run on SIGINT or SIGTERM (it says: unexpected termination)."""
    import dagster as dg
    from dagster._core.events import RunFailureReason

    failure = next((event for event in result.all_events if event.event_type == dg.DagsterEventType.RUN_FAILURE), None)
    data = failure.event_specific_data if failure is not None else None
    return getattr(data, "failure_reason", None) == RunFailureReason.UNEXPECTED_TERMINATION


def run_job(job_name: str, run_config=None) -> bool:
    """Execute one job of the definitions in process; print what failed. True on success."""
    started = time.monotonic()
    print(f"[chargeback] running {job_name} ...", flush=True)
    with _instance() as instance:
        result = execute(definitions().resolve_job_def(job_name), instance, run_config)
    elapsed = time.monotonic() - started
    print_check_results(result)
    if result.success:
        print(f"[chargeback] {job_name} succeeded in {elapsed:.1f}s (run {result.run_id})", flush=True)
        return True
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            print(
                f"[chargeback] step {event.step_key} failed:\n{event.step_failure_data.error.message}", file=sys.stderr
            )
    print(f"[chargeback] {job_name} FAILED after {elapsed:.1f}s (run {result.run_id})", file=sys.stderr)
    return False


def print_check_results(result) -> None:
    """Every data-quality (GX) check of the run with its figures, and any other check that
    failed (dbt tests), failures first, on stderr and plainly marked; a count of the rest."""
    from orchestration.quality.gx_checks import QUALITY_CHECK_KEYS

    evaluations = result.get_asset_check_evaluations()
    if not evaluations:
        return
    quality = [e for e in evaluations if e.asset_check_key in QUALITY_CHECK_KEYS]
    others = [e for e in evaluations if e.asset_check_key not in QUALITY_CHECK_KEYS]
    failed_others = [e for e in others if not e.passed]
    print(
        f"[chargeback] checks: {len(quality)} data-quality (GX) checks, {len(others)} other checks such as "
        f"dbt tests ({len(others) - len(failed_others)} passed)",
        flush=True,
    )
    for evaluation in sorted(quality + failed_others, key=lambda e: (e.passed, e.asset_check_key.name)):
        severity = evaluation.severity.value if evaluation.severity else "ERROR"
        status = "passed" if evaluation.passed else f"FAILED ({severity})"
        summary = evaluation.metadata.get("summary")
        text = summary.value if summary is not None else (evaluation.description or "")
        stream = sys.stdout if evaluation.passed else sys.stderr
        print(
            f"  {status:<15} {evaluation.asset_check_key.name} on "
            f"{evaluation.asset_check_key.asset_key.to_user_string()}: {text}",
            file=stream,
            flush=True,
        )
        offenders = evaluation.metadata.get("top_offenders")
        if offenders is not None and not evaluation.passed:
            print("    top offenders (cost not attributed by tags):", file=stream)
            for line in str(offenders.value).splitlines():
                print(f"      {line}", file=stream)
        stream.flush()


def configuration_is_valid(seeds_dir: Path = PROJECT_ROOT / "seeds") -> bool:
    """Check the configuration seeds; print every problem (seed, row, column, what) to stderr."""
    from orchestration.configuration import check_configuration

    problems = check_configuration(seeds_dir)
    if not problems:
        print(f"[chargeback] configuration in {seeds_dir} is valid", flush=True)
        return True
    print(f"[chargeback] {len(problems)} configuration problem(s) in {seeds_dir}:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return False


def cmd_check_config(args: argparse.Namespace) -> int:
    return 0 if configuration_is_valid(Path(args.seeds_dir)) else 1


def cmd_generate(args: argparse.Namespace) -> int:
    from orchestration.generate.gcp import generate_gcp_export

    def progress(rows: int) -> None:
        print(f"\r[chargeback] generated {rows:,} of {args.rows:,} rows", end="", flush=True)

    summary = generate_gcp_export(
        Path(args.out),
        rows=args.rows,
        seed=args.seed,
        start=args.start,
        months=args.months,
        as_of=args.as_of,
        fmt=args.format,
        progress=progress,
        untagged_share=args.untagged_share,
        incidents=args.incidents,
    )
    print()
    print(f"[chargeback] wrote {summary.rows:,} export rows in {len(summary.extracts)} extracts to {args.out}")
    from orchestration.generate.business_metrics import write_business_metrics

    first_day, last_day = date.fromisoformat(summary.usage_start), date.fromisoformat(summary.usage_end)
    metrics = write_business_metrics(Path(args.out), args.rows, args.seed, first_day, last_day + timedelta(days=1))
    print(f"[chargeback] wrote the matching business metrics to {metrics}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from orchestration.ingestion.assets import ingestion_run_config

    paths = [str(Path(p).resolve()) for p in args.paths]
    return 0 if run_job("ingest_gcp_job", ingestion_run_config(paths)) else 1


def cmd_ingest_business_metrics(args: argparse.Namespace) -> int:
    from orchestration.ingestion.business_metrics_asset import business_metrics_run_config

    paths = [str(Path(p).resolve()) for p in args.paths]
    return 0 if run_job("ingest_business_metrics_job", business_metrics_run_config(paths)) else 1


def cmd_build(args: argparse.Namespace) -> int:
    # build_job checks the configuration itself before dbt runs (transform/configuration_gate.py).
    built = run_job("build_job")
    # Reported, not enforced: marts built from an old export are right, only not recent.
    cmd_freshness(args)
    return 0 if built else 1


def cmd_freshness(args: argparse.Namespace) -> int:
    with _instance() as instance:
        return report_export_freshness(definitions(), instance)


def report_export_freshness(defs, instance, print_fn=print) -> int:
    """Run the freshness job headless (the schedule's code path) and print each check's verdict.

    Returns 1 when a check failed with severity ERROR or could not run, else 0 (WARN is printed
    but does not fail: the export may just be a little late)."""
    import dagster as dg

    from orchestration.freshness.verdicts import FRESHNESS_CHECKS
    from orchestration.jobs import FRESHNESS_JOB

    result = execute(defs.resolve_job_def(FRESHNESS_JOB), instance)
    status = 0 if result.success else 1
    evaluations = {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}
    for name in FRESHNESS_CHECKS:
        evaluation = evaluations.get(name)
        if evaluation is None:
            print_fn(f"[chargeback] freshness {name}: did not run (see run {result.run_id})")
            status = 1
            continue
        verdict = "PASS" if evaluation.passed else evaluation.severity.value
        print_fn(f"[chargeback] freshness {name}: {verdict} - {evaluation.description}")
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            status = 1
    return status


def _local_warehouse():
    """The DuckDB warehouse resource; the report reads the published local marts only."""
    from orchestration.resources import DuckDBWarehouse

    warehouse = definitions().resources["warehouse"]
    if not isinstance(warehouse, DuckDBWarehouse):
        raise SystemExit("[chargeback] report reads the local DuckDB warehouse; on BigQuery, query the marts dataset")
    return warehouse


def print_report(ground_truth: Path | None) -> None:
    from orchestration.reporting import render_report
    from orchestration.spend.budget_report import render_spend_watch
    from orchestration.spend.unit_cost_report import render_unit_costs

    with _local_warehouse().published_connection() as con:
        print(render_report(con, ground_truth))
        print()
        print(render_spend_watch(con))
        print()
        print(render_unit_costs(con))


def cmd_report(args: argparse.Namespace) -> int:
    if args.html:
        return write_report(_local_warehouse(), Path(args.html))
    print_report(Path(args.ground_truth) if args.ground_truth else None)
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    """Parse the dbt project for the settings in use (what deployed code runs before it loads)."""
    definitions()
    print(f"[chargeback] dbt manifest ready for target {settings().target}")
    return 0


def cmd_quality_docs(args: argparse.Namespace) -> int:
    """Render GX Data Docs from the validation results the checks stored, and print the path."""
    resources = definitions().resources
    great_expectations = resources["great_expectations"]
    if args.run_checks:
        # The checks' own suites, run now against what is in the warehouse (no dbt build).
        from orchestration.quality.gx_checks import QUALITY_CHECK_KEYS, run_checks

        outcomes = run_checks(
            great_expectations,
            resources["warehouse"],
            [key.name for key in QUALITY_CHECK_KEYS],
            run_id=f"cli-{int(time.time())}",
        )
        for outcome in outcomes:
            print(
                f"  {'passed' if outcome.passed else 'FAILED (' + outcome.severity + ')':<15} "
                f"{outcome.check_name}: {outcome.summary}"
            )
    site = great_expectations.build_data_docs()
    if site is None:
        print("[chargeback] no GX project configured", file=sys.stderr)
        return 1
    print(f"[chargeback] GX Data Docs: {site}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate a realistic bill up to yesterday (--as-of), ingest it, build, and print the chargeback."""
    import shutil

    from orchestration.ingestion.assets import ingestion_run_config

    # Fail before generating anything; build_job would check again, too late to save the wait.
    if not configuration_is_valid():
        return 1
    out = Path(args.export_dir)
    if out.exists():
        shutil.rmtree(out)
    # the live clock: data through yesterday, the newest days still filling in
    args.out, args.format, args.start = str(out), "json", None
    args.incidents = True  # the demo shows anomalies found against injected incidents
    cmd_generate(args)
    if not run_job("ingest_gcp_job", ingestion_run_config([str(out)])):
        return 1
    from orchestration.ingestion.business_metrics_asset import business_metrics_run_config

    if not run_job("ingest_business_metrics_job", business_metrics_run_config([str(out / "business_metrics")])):
        return 1
    if not run_job("build_job"):
        return 1
    print()
    print_report(out / "ground_truth")
    return write_report(_local_warehouse(), out.parent / "report")  # beside the export: data/demo/report


def _add_untagged_share(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--untagged-share",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="break tag coverage: strip team labels and tags from resources holding about SHARE "
        "(0-1) of the usage cost, deterministically for the seed (default 0: none)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chargeback", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="generate, ingest, build and report on a realistic quarter")
    demo.add_argument("--rows", type=int, default=200_000)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument(
        "--export-dir", default=str(DEMO_EXPORT_DIR), help="where the generated export is written (replaced)"
    )
    demo.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=datetime.now(UTC).date(),
        metavar="YYYY-MM-DD",
        help="today, for the generated data (default: the real today, UTC): usage of the --months whole months "
        "before its month and of its month through the day before, exported up to its midnight (UTC)",
    )
    demo.add_argument("--months", type=int, default=3, help="whole months of history before --as-of's month")
    _add_untagged_share(demo)
    demo.set_defaults(func=cmd_demo)

    check_config = commands.add_parser(
        "check-config", help="check the configuration seeds (teams, aliases, rules, pools) and list every problem"
    )
    check_config.add_argument("--seeds-dir", default=str(PROJECT_ROOT / "seeds"), help="default: the project's seeds/")
    check_config.set_defaults(func=cmd_check_config)

    generate = commands.add_parser("generate", help="generate a realistic billing export")
    generate_sources = generate.add_subparsers(dest="source", required=True)
    gcp = generate_sources.add_parser("gcp", help="GCP detailed usage cost export, as BigQuery extracts it")
    gcp.add_argument("--rows", type=int, required=True)
    gcp.add_argument("--seed", type=int, default=42)
    gcp.add_argument("--out", required=True)
    gcp.add_argument("--format", choices=["json", "parquet"], default="json")
    window = gcp.add_mutually_exclusive_group()
    window.add_argument("--start", type=date.fromisoformat, help="first usage day (YYYY-MM-DD; default 2026-07-01)")
    window.add_argument(
        "--as-of",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the live clock instead of --start: the export as it stood at this day's midnight (UTC), usage "
        "from --months whole months before its month through the day before, the newest days still filling in",
    )
    gcp.add_argument("--months", type=int, default=3, help="whole months of usage (before --as-of's month)")
    _add_untagged_share(gcp)
    gcp.add_argument(
        "--incidents",
        action="store_true",
        help="inject cost incidents (idle H100 VM, endpoint scale-out, token spike, runaway BigQuery scan) "
        "with their ground truth in OUT/ground_truth/incidents.json (default: none)",
    )
    gcp.set_defaults(func=cmd_generate)

    ingest = commands.add_parser("ingest", help="load export files into the warehouse")
    ingest_sources = ingest.add_subparsers(dest="source", required=True)
    ingest_gcp = ingest_sources.add_parser(
        "gcp", help="GCP export files (.json, .json.gz, .parquet) or folders of them"
    )
    ingest_gcp.add_argument("paths", nargs="+")
    ingest_gcp.set_defaults(func=cmd_ingest)
    ingest_metrics = ingest_sources.add_parser(
        "business-metrics", help="unit-metric CSV files (date, team, metric, value) or folders of them"
    )
    ingest_metrics.add_argument("paths", nargs="*", help="default: $CHARGEBACK_BUSINESS_METRICS_DIR")
    ingest_metrics.set_defaults(func=cmd_ingest_business_metrics)

    build = commands.add_parser("build", help="dbt build: models, tests and the money checks")
    build.set_defaults(func=cmd_build)

    prepare = commands.add_parser("prepare", help="parse the dbt project for the settings in use (before deploying)")
    prepare.set_defaults(func=cmd_prepare)

    freshness = commands.add_parser(
        "freshness",
        help="is the GCP export still arriving? newest export_time, missing days, dbt source freshness "
        "(exit 1 on error)",
    )
    freshness.set_defaults(func=cmd_freshness)

    report = commands.add_parser("report", help="print the last complete month's chargeback and tag coverage")
    report.add_argument(
        "--ground-truth", help="ground_truth folder written by `chargeback generate`, to measure accuracy"
    )
    report.add_argument("--html", metavar="DIR", help="instead, write the HTML report (overview, page per team) to DIR")
    report.set_defaults(func=cmd_report)

    quality = commands.add_parser("quality", help="data-quality checks (Great Expectations)")
    quality_commands = quality.add_subparsers(dest="quality_command", required=True)
    docs = quality_commands.add_parser(
        "docs", help="render GX Data Docs (suites and every stored validation) and print the index.html path"
    )
    docs.add_argument(
        "--run-checks", action="store_true", help="first run every check against the warehouse as it is (no dbt build)"
    )
    docs.set_defaults(func=cmd_quality_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    import signal

    args = _parser().parse_args(argv)
    # SIGTERM (a supervisor, `kill`) stops the command as Ctrl-C does. During a run Dagster
    # handles both itself: it interrupts dbt (SIGINT), waits for it and marks the run failed.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return args.func(args)
    except KeyboardInterrupt as interrupt:
        detail = f" {interrupt}" if str(interrupt) else ""
        print(f"[chargeback] interrupted{detail}; stopped", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
