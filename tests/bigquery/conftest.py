"""The BigQuery path, run: `chargeback build` on the `bigquery` target against a local emulator.

`make test-bigquery` installs the emulator in its own virtual environment and runs these
tests with the project's. The session:

1. starts the emulator (emulator_launcher.py, from the emulator's environment) on free
   loopback ports, and stops it at the end;
2. generates an export with cost incidents and untagged resources (so the anomaly and the
   unallocated-cost marts have rows) and the matching business metrics, and loads the export
   into the emulator as BigQuery's export table holds it (export_table.py), with the real export
   rows of tests/python/fixtures;
3. ingests the business metrics and runs `chargeback build` with CHARGEBACK_DBT_TARGET=bigquery,
   in subprocesses that reach the emulator through BIGQUERY_EMULATOR_HOST (credentials:
   emulator_credentials/sitecustomize.py);
4. ingests the same export (every extract: ingestion keeps the last of each day), the real rows
   and the business metrics on DuckDB into a temporary warehouse, and builds it, to compare with.

Everything is written under pytest's temporary directory. A failure says which step failed
and shows the end of its output (the emulator's log for the emulator).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from export_table import latest_extract_files, load_export_table, read_rows

from orchestration.ingestion.gcp_loader import EXPORT_TABLE_PREFIX
from orchestration.settings import PROJECT_ROOT

HERE = Path(__file__).resolve().parent
CHARGEBACK = Path(sys.executable).parent / "chargeback"
# absolute(), not resolve(): a virtual environment's python is a symlink to the base interpreter.
EMULATOR_PYTHON = Path(
    os.environ.get("BQ_EMULATOR_PYTHON") or PROJECT_ROOT / ".venv-bigquery-emulator" / "bin" / "python"
).absolute()
REAL_EXPORT_ROWS = PROJECT_ROOT / "tests" / "python" / "fixtures" / "gcp" / "real_export_rows.json"

# A few thousand rows: every model, test and currency path runs, in a few minutes on 2 cores.
# (With ~200+ line items a day, as from 20,000 rows, gx_tag_coverage judges days too.)
EXPORT_ROWS = int(os.environ.get("BQ_TEST_EXPORT_ROWS", "3000"))
EXPORT_SEED = int(os.environ.get("BQ_TEST_EXPORT_SEED", "11"))
# Resources holding about this share of the cost untagged: unallocated costs (a WARN check fails).
UNTAGGED_SHARE = "0.1"
# The marts go to one project, the export is read in place from another, as in most deployments.
MARTS_PROJECT, MARTS_DATASET, LOCATION = "chargeback-emulated", "finops", "US"
EXPORT_PROJECT, EXPORT_DATASET = "billing-emulated", "billing_export"
EMULATOR_START_SECONDS = 60
BUILD_TIMEOUT_SECONDS = 1800


def tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports free now (each held until all are picked)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def run_chargeback(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.CompletedProcess:
    """`chargeback ARGS`, its output kept in `log`; fails the test with the output's end when it fails."""
    completed = subprocess.run(
        [str(CHARGEBACK), *args],
        env=env,
        cwd=cwd,
        check=False,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    log.write_text(f"$ chargeback {' '.join(args)}\n--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}")
    if completed.returncode != 0:
        why = (
            failed_steps(completed.stderr)
            or f"--- stdout\n{tail(completed.stdout)}\n--- stderr\n{tail(completed.stderr)}"
        )
        pytest.fail(
            f"`chargeback {' '.join(args)}` exited {completed.returncode} (full output: {log})\n{why}", pytrace=False
        )
    return completed


def failed_steps(stderr: str) -> str | None:
    """What `chargeback` printed about the job's failed steps (dbt's errors among them), if anything."""
    start = stderr.find("[chargeback] step ")
    end = stderr.find(" FAILED after", start)
    if start < 0 or end < 0:
        return None
    return re.sub(r"\x1b\[[0-9;]*m", "", stderr[start : stderr.find("\n", end)])  # without dbt's colours


def clean_environment(**settings: str) -> dict[str, str]:
    """The caller's environment without any chargeback, Dagster or emulator setting, plus `settings`:
    what the builds read is only what these tests set. DBT_EXCLUDE_RESOURCE_TYPES passes through
    (a developer may skip the unit tests; test_unit_tests_ran then fails, so no run is green)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHARGEBACK_", "DAGSTER_", "BIGQUERY_EMULATOR", "GOOGLE_")) and key != "PYTHONPATH"
    }
    return {**env, **settings}


# --------------------------------------------------------------------------- the emulator


@dataclass(frozen=True)
class Emulator:
    url: str
    log: Path

    def client(self, project: str = MARTS_PROJECT):
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=project, credentials=AnonymousCredentials(), client_options=ClientOptions(api_endpoint=self.url)
        )


def _wait_until_serving(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + EMULATOR_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the BigQuery emulator exited with {process.returncode} at start-up; its log ({log}):\n"
                f"{tail(log.read_text())}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(f"{url}/bigquery/v2/projects/{MARTS_PROJECT}/datasets", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    pytest.fail(
        f"the BigQuery emulator did not answer on {url} within {EMULATOR_START_SECONDS}s; its log ({log}):\n"
        f"{tail(log.read_text())}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> Emulator:
    if not EMULATOR_PYTHON.exists():
        pytest.fail(
            f"no emulator environment at {EMULATOR_PYTHON.parent.parent}: run `make test-bigquery`, which "
            f"installs it from tests/bigquery/emulator-requirements.lock",
            pytrace=False,
        )
    work = tmp_path_factory.mktemp("emulator")
    log = work / "emulator.log"
    rest_port, grpc_port = free_ports(2)
    command = [
        str(EMULATOR_PYTHON),
        str(HERE / "emulator_launcher.py"),
        "--rest-port",
        str(rest_port),
        "--grpc-port",
        str(grpc_port),
        "--project",
        MARTS_PROJECT,
    ]
    # BQ_EMULATOR_WITHOUT=name,...: leave work-arounds out, to see whether each is still needed.
    for name in filter(None, os.environ.get("BQ_EMULATOR_WITHOUT", "").split(",")):
        command += ["--without", name]
    with log.open("w") as output:
        # cwd: the emulator reads a .bqemu.toml from its working directory; this one has none.
        process = subprocess.Popen(command, cwd=work, stdout=output, stderr=subprocess.STDOUT, env=clean_environment())
    url = f"http://127.0.0.1:{rest_port}"
    try:
        _wait_until_serving(process, url, log)
        yield Emulator(url=url, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --------------------------------------------------------------------------- the export


@dataclass(frozen=True)
class Export:
    folder: Path
    """The generated extracts, partial ones included."""
    table_id: str
    """The export table: the last extract of each export day, and the real export rows."""
    rows: int
    columns_added: tuple[str, ...]

    @property
    def business_metrics(self) -> Path:
        """The business metric files the generator wrote with the export."""
        return self.folder / "business_metrics"


@pytest.fixture(scope="session")
def export(emulator, tmp_path_factory) -> Export:
    work = tmp_path_factory.mktemp("export")
    folder = work / "gcp-export"
    run_chargeback(
        [
            "generate",
            "gcp",
            "--rows",
            str(EXPORT_ROWS),
            "--seed",
            str(EXPORT_SEED),
            "--out",
            str(folder),
            "--incidents",
            "--untagged-share",
            UNTAGGED_SHARE,
        ],
        clean_environment(PYTHONPATH=str(PROJECT_ROOT)),
        work,
        work / "generate.log",
    )
    # The generator writes one export table per billing account (USD and EUR); the project reads
    # one export table. All rows go into the first account's table, so that both currencies run
    # on BigQuery as they do on DuckDB, which ingests every table's files into one raw table.
    table = min(path.name for path in folder.iterdir() if path.name.startswith(EXPORT_TABLE_PREFIX))
    loaded = load_export_table(
        emulator.client(EXPORT_PROJECT),
        f"{EXPORT_PROJECT}.{EXPORT_DATASET}.{table}",
        list(read_rows([*latest_extract_files(folder), REAL_EXPORT_ROWS])),
    )
    return Export(folder=folder, table_id=loaded.table_id, rows=loaded.rows, columns_added=loaded.columns_added)


# --------------------------------------------------------------------------- the two builds


@dataclass(frozen=True)
class Build:
    output: str
    """stdout and stderr of `chargeback build`."""
    log: Path
    marts: str
    """Where the marts are: BigQuery `project.dataset`, or the DuckDB warehouse file (schema marts)."""
    env: dict[str, str]
    """The environment `chargeback build` ran with."""


def _build_on_bigquery(emulator: Emulator, export: Export, work: Path) -> Build:
    database, schema, table = export.table_id.split(".")
    env = clean_environment(
        CHARGEBACK_DBT_TARGET="bigquery",
        CHARGEBACK_BQ_PROJECT=MARTS_PROJECT,
        CHARGEBACK_BQ_DATASET=MARTS_DATASET,
        CHARGEBACK_BQ_LOCATION=LOCATION,
        CHARGEBACK_EXPORT_PROJECT=database,
        CHARGEBACK_EXPORT_DATASET=schema,
        CHARGEBACK_EXPORT_TABLE=table,
        DAGSTER_HOME=str(work / "dagster"),
        BIGQUERY_EMULATOR_HOST=emulator.url,
        PYTHONPATH=str(HERE / "emulator_credentials"),
    )
    run_chargeback(
        ["ingest", "business-metrics", str(export.business_metrics)], env, PROJECT_ROOT, work / "metrics.log"
    )
    completed = run_chargeback(["build"], env, PROJECT_ROOT, work / "build.log")
    return Build(
        output=completed.stdout + completed.stderr,
        log=work / "build.log",
        marts=f"{MARTS_PROJECT}.{MARTS_DATASET}",
        env=env,
    )


def _build_on_duckdb(export: Export, work: Path) -> Build:
    warehouse = work / "warehouse.duckdb"
    env = clean_environment(
        CHARGEBACK_DUCKDB_PATH=str(warehouse), DAGSTER_HOME=str(work / "dagster"), PYTHONPATH=str(PROJECT_ROOT)
    )
    # Every extract, partial ones included: the ingestion's own choice must end with the rows of the table.
    run_chargeback(["ingest", "gcp", str(export.folder), str(REAL_EXPORT_ROWS)], env, PROJECT_ROOT, work / "ingest.log")
    run_chargeback(
        ["ingest", "business-metrics", str(export.business_metrics)], env, PROJECT_ROOT, work / "metrics.log"
    )
    completed = run_chargeback(["build"], env, PROJECT_ROOT, work / "build.log")
    return Build(output=completed.stdout + completed.stderr, log=work / "build.log", marts=str(warehouse), env=env)


@pytest.fixture(scope="session")
def builds(emulator, export, tmp_path_factory) -> dict[str, Build]:
    """`chargeback build` of the export on BigQuery (the emulator) and, from the same files, on
    DuckDB (ingested into a temporary warehouse). The two run at once (each target has its own
    dbt manifest): the emulator works mostly on one core, DuckDB's build on the other."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        on_bigquery = pool.submit(_build_on_bigquery, emulator, export, tmp_path_factory.mktemp("bigquery-build"))
        on_duckdb = pool.submit(_build_on_duckdb, export, tmp_path_factory.mktemp("duckdb-build"))
        return {"bigquery": on_bigquery.result(), "duckdb": on_duckdb.result()}


@pytest.fixture(scope="session")
def bigquery_build(builds) -> Build:
    return builds["bigquery"]


@pytest.fixture(scope="session")
def duckdb_build(builds) -> Build:
    return builds["duckdb"]


@pytest.fixture
def warehouse(emulator, bigquery_build, monkeypatch):
    """The BigQueryWarehouse resource `chargeback build` used, in this process, on the emulator."""
    from contextlib import contextmanager

    from dagster_gcp import BigQueryResource

    from orchestration.resources import warehouse_resource
    from orchestration.settings import Settings
    from orchestration.transform.project import chargeback_dbt_project

    monkeypatch.setattr(BigQueryResource, "get_client", contextmanager(lambda self: (yield emulator.client())))
    settings = Settings.from_env(bigquery_build.env)
    return warehouse_resource(settings, chargeback_dbt_project(settings))
