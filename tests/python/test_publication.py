"""Write, audit, publish: readers of the published warehouse are never blocked by a run and
always see one whole build; a killed or refused build publishes nothing; runs wait their turn
for the working copy and say who held it when they give up.

The pipeline runs as its users run it, through the `chargeback` command in processes of its own,
with readers polling the published file from other processes (published_reader.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.ingestion.assets import gcp_billing_export, ingestion_run_config
from orchestration.locks import hold, lock_file
from orchestration.settings import Settings

CHARGEBACK = Path(sys.executable).parent / "chargeback"
READER = Path(__file__).parent / "published_reader.py"
sys.path.insert(0, str(READER.parent))
from published_reader import disagreements, totals  # noqa: E402  (a script, also run on its own)

pytestmark = pytest.mark.usefixtures("session_manifest_kept")


def _env(work: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CHARGEBACK_DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "CHARGEBACK_LANDING_DIR": str(work / "landing"),
        "DAGSTER_HOME": str(work / "dagster"),
        **extra,
    }


def _chargeback(work: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    completed = subprocess.run([str(CHARGEBACK), *args], env=_env(work, **extra), capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed


def _working_copy(work: Path) -> Path:
    return Settings.from_env(_env(work)).duckdb_working_path


def _published_totals(work: Path) -> dict:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        return totals(con)


def _start_reader(work: Path, name: str, *flags: str, python: str = sys.executable) -> subprocess.Popen:
    return subprocess.Popen(
        [python, str(READER), str(work / "warehouse.duckdb"), "--out", str(work / f"{name}.jsonl"), *flags]
    )


def _looks(work: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (work / f"{name}.jsonl").read_text().splitlines()]


def test_readers_are_never_blocked_and_see_only_whole_builds(tmp_path):
    """Done means: a reader polling every half second through a whole `chargeback demo` (and a
    later ingest and build) never gets an error and never sees marts that disagree; a BI session
    holding the file open blocks neither the ingestion nor the build."""
    readers = [_start_reader(tmp_path, "poller", "--every", "0.5"), _start_reader(tmp_path, "session", "--hold")]
    try:
        _chargeback(
            tmp_path,
            "demo",
            "--rows",
            "4000",
            "--seed",
            "5",
            "--as-of",
            "2026-10-02",
            "--export-dir",
            str(tmp_path / "export"),
        )
        first = _published_totals(tmp_path)
        late = tmp_path / "late"
        _chargeback(tmp_path, "generate", "gcp", "--rows", "1500", "--seed", "6", "--start", "2026-10-01",
                    "--months", "1", "--out", str(late))  # fmt: skip
        _chargeback(tmp_path, "ingest", "gcp", str(late))
        assert _published_totals(tmp_path) == first, "an ingestion alone publishes nothing"
        _chargeback(tmp_path, "build")
        time.sleep(1.5)  # a look or two of the last build
    finally:
        for reader in readers:
            reader.terminate()
            try:
                reader.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a stuck reader must not hang the session
                reader.kill()
                reader.wait()
    final = _published_totals(tmp_path)
    assert final != first and not disagreements(final)

    for name in ("poller", "session"):
        looks = _looks(tmp_path, name)
        errors = [look["error"] for look in looks if look["state"] == "error"]
        assert not errors, f"{name}: {errors[:3]}"
        read = [look["totals"] for look in looks if look["state"] == "read"]
        assert read, f"{name} never read the published warehouse"
        assert not [problem for seen in read for problem in disagreements(seen)], f"{name} saw marts that disagree"
        assert all(seen in (first, final) for seen in read), f"{name} saw a build that was never published whole"
    polled = [look["totals"] for look in _looks(tmp_path, "poller") if look["state"] == "read"]
    assert first in polled and final in polled, "the poller saw both builds"


def test_the_published_warehouse_opens_in_duckdb_1_4(tmp_path):
    """BI drivers bundle DuckDB 1.4 (LTS), which refuses files DuckDB 2.0 writes by default."""
    lts_python = os.environ.get("DUCKDB_LTS_PYTHON")
    if not lts_python:
        pytest.skip("DUCKDB_LTS_PYTHON is not set: `make test` installs DuckDB 1.4 and sets it")
    _chargeback(
        tmp_path,
        "demo",
        "--rows",
        "2000",
        "--seed",
        "3",
        "--as-of",
        "2026-10-02",
        "--export-dir",
        str(tmp_path / "export"),
    )
    opened = subprocess.run(
        [lts_python, "-c", "import duckdb, json, sys; sys.path.insert(0, sys.argv[2]); from published_reader import "
         "totals; print(duckdb.__version__); print(json.dumps(totals(duckdb.connect(sys.argv[1], read_only=True))))",
         str(tmp_path / "warehouse.duckdb"), str(READER.parent)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr[-2000:]
    version, seen = opened.stdout.splitlines()
    assert version.startswith("1.4.")
    assert json.loads(seen) == _published_totals(tmp_path)


def _lock_holder(path: Path) -> str:
    return json.loads(lock_file(path).read_text() or "{}").get("purpose", "")


@pytest.mark.parametrize(
    ("command", "step"), [("ingest", "the ingestion"), ("build", "the dbt build")], ids=["during-ingest", "during-dbt"]
)
def test_a_killed_run_publishes_nothing_and_the_next_one_publishes_all(tmp_path, command, step, ingest, working_copy):
    """SIGKILL of a run's whole process group in the middle of its step: the published file is
    untouched, and running the same commands again loses nothing and counts nothing twice."""
    export, late = tmp_path / "export", tmp_path / "late"
    _chargeback(tmp_path, "demo", "--rows", "3000", "--seed", "9", "--as-of", "2026-10-02", "--export-dir", str(export))
    published = tmp_path / "warehouse.duckdb"
    before, digest = _published_totals(tmp_path), hashlib.sha256(published.read_bytes()).hexdigest()
    _chargeback(tmp_path, "generate", "gcp", "--rows", "3000", "--seed", "4", "--start", "2026-10-01",
                "--months", "1", "--out", str(late))  # fmt: skip
    if command == "build":
        _chargeback(tmp_path, "ingest", "gcp", str(late))
    arguments = ["ingest", "gcp", str(late)] if command == "ingest" else ["build"]

    run = subprocess.Popen([str(CHARGEBACK), *arguments], env=_env(tmp_path), start_new_session=True)
    deadline = time.monotonic() + 180
    while step not in _lock_holder(_working_copy(tmp_path)):
        assert run.poll() is None and time.monotonic() < deadline, f"the run never reached {step}"
        time.sleep(0.05)
    time.sleep(0.5 if command == "ingest" else 3)  # into the load / dbt's models
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()

    assert hashlib.sha256(published.read_bytes()).hexdigest() == digest, "a killed run touched the published file"
    assert _published_totals(tmp_path) == before
    if command == "ingest":
        _chargeback(tmp_path, "ingest", "gcp", str(late))
    _chargeback(tmp_path, "build")
    after = _published_totals(tmp_path)
    assert after != before and not disagreements(after)
    reference = tmp_path / "reference.duckdb"
    ingest(reference, [export, late])
    figures = "select count(*), round(sum(cost), 4) from raw.gcp_billing_export_resource_v1"
    with duckdb.connect(str(published), read_only=True) as mine, duckdb.connect(str(working_copy(reference))) as ref:
        assert mine.execute(figures).fetchone() == ref.execute(figures).fetchone(), "lost or counted twice"


def test_an_ingestion_during_the_build_stops_its_publication(tmp_path, resources_for, monkeypatch):
    """Raw rows no mart covers are never published: the build recorded what it was built from."""
    from orchestration.generate.gcp import generate_gcp_export
    from orchestration.settings import Settings
    from orchestration.transform import publication
    from orchestration.transform.assets import build_dbt_assets
    from orchestration.transform.project import chargeback_dbt_project

    generate_gcp_export(tmp_path / "export", rows=1500, seed=2, months=1)
    monkeypatch.setenv("CHARGEBACK_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))  # dbt's too
    resources = resources_for(tmp_path / "warehouse.duckdb")
    assert dg.materialize(
        [gcp_billing_export], resources=resources, run_config=ingestion_run_config([str(tmp_path / "export")])
    ).success
    counts = iter([1, 2])  # what the build began from, then what the publication finds
    monkeypatch.setattr(publication, "loaded_file_count", lambda con, tables: next(counts))
    dbt_assets = build_dbt_assets(chargeback_dbt_project(Settings.from_env()))
    result = dg.materialize(
        [dbt_assets, publication.build_publication_asset(dbt_assets.keys)], resources=resources, raise_on_error=False
    )
    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.error.message
    assert "Not published: 1 export file(s) were ingested after this run's build began" in message
    assert not (tmp_path / "warehouse.duckdb").exists(), "nothing was published"


def test_an_ingestion_waits_its_turn_then_loads(tmp_path, resources_for, hold_working_copy):
    from orchestration.generate.gcp import generate_gcp_export

    summary = generate_gcp_export(tmp_path / "export", rows=800, seed=3, months=1)
    resources = resources_for(tmp_path / "warehouse.duckdb")
    holder = hold_working_copy(resources["warehouse"].path, 3)
    result = dg.materialize(
        [gcp_billing_export], resources=resources, run_config=ingestion_run_config([str(tmp_path / "export")])
    )
    assert holder.wait() == 0 and result.success
    with resources["warehouse"].connection() as con:
        assert con.execute("select count(*) from raw.gcp_billing_export_resource_v1").fetchone()[0] == summary.rows


def test_an_ingestion_that_cannot_get_its_turn_says_why_first_and_loads_nothing(
    tmp_path, resources_for, monkeypatch, hold_working_copy
):
    from orchestration.generate.gcp import generate_gcp_export

    generate_gcp_export(tmp_path / "export", rows=800, seed=3, months=1)
    monkeypatch.setenv("CHARGEBACK_WAREHOUSE_WAIT_SECONDS", "1")
    resources = resources_for(tmp_path / "warehouse.duckdb")
    holder = hold_working_copy(resources["warehouse"].path, 30)
    result = dg.materialize(
        [gcp_billing_export],
        resources=resources,
        run_config=ingestion_run_config([str(tmp_path / "export")]),
        raise_on_error=False,
    )
    holder.kill()
    holder.wait()
    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    first_line = failure.step_failure_data.error.message.splitlines()[0]
    assert "Nothing loaded: could not get the working warehouse" in first_line
    assert "a test holding the working copy (pid" in first_line
    assert not resources["warehouse"].path.exists(), "the ingestion never opened the working copy"
    with hold(resources["warehouse"].path, "the next run", 0):  # free once its holder has gone
        pass


def test_two_ingestions_at_once_load_each_extract_once(tmp_path, working_copy):
    """A sensor run, the daily schedule and a person's `chargeback ingest` racing on one delivery."""
    from orchestration.generate.gcp import generate_gcp_export

    summary = generate_gcp_export(tmp_path / "export", rows=1200, seed=8, months=1)
    racers = [
        subprocess.Popen(
            [str(CHARGEBACK), "ingest", "gcp", str(tmp_path / "export")],
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [racer.communicate()[0] for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0], outputs
    with duckdb.connect(str(working_copy(tmp_path / "warehouse.duckdb")), read_only=True) as con:
        rows = con.execute("select count(*) from raw.gcp_billing_export_resource_v1").fetchone()[0]
        loaded_twice = con.execute(
            "select count(*) from (select sha256 from raw.gcp_ingestion_log where status = 'loaded' "
            "group by sha256 having count(*) > 1)"
        ).fetchone()[0]
    assert rows == summary.rows and loaded_twice == 0
