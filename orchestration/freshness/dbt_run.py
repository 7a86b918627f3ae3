"""`dbt source freshness` of the export, and proof that the verdict read is this run's, against
the warehouse being checked.

A verdict is read only when all of these hold, else the check fails saying dbt could not look:

- dbt will connect where the check looks: the profile dbt renders in this environment (the
  target and, locally, the DuckDB file) is the warehouse resource's. A missing DuckDB file is
  refused before dbt runs (dbt-duckdb would create an empty one).
- Its artifacts are in a folder of this run's own: a fresh one per invocation, so a previous run's
  sources.json, or that of a run beside it against another warehouse, is never in it.
- The sources.json and the manifest dbt wrote carry this invocation's id (taken from dbt's own
  log events), and the manifest resolved the export to the relation the warehouse resource reads.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource

from orchestration.freshness.readers import WarehouseUnavailable
from orchestration.resources import DuckDBWarehouse, Warehouse
from orchestration.settings import Settings, SettingsError
from orchestration.transform.project import DbtManifest

SOURCE_SELECTOR = "source:gcp_billing_export.detailed_usage_cost"
PARTIAL_PARSE = "partial_parse.msgpack"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # dbt colours its log lines, even as JSON


def run_dbt_source_freshness(dbt: DbtCliResource, warehouse: Warehouse) -> tuple[dict[str, Any], list[str]]:
    """`dbt source freshness` of the export: (this run's sources.json, dbt's error lines).

    Raises WarehouseUnavailable, with dbt's errors, when there is no verdict of this run against
    this warehouse to read."""
    cannot = f"dbt source freshness could not look at {SOURCE_SELECTOR} in {warehouse.description}"
    elsewhere = _where_dbt_would_look_instead(dbt, warehouse)
    if elsewhere:
        raise WarehouseUnavailable(f"{cannot}: {elsewhere}")
    stable = Path(dbt.project_dir) / "target" / (dbt.target or "default")
    stable.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="source-freshness-", dir=stable) as folder:
        run_folder = Path(folder)
        # The project's parse, so dbt re-parses only what changed (a full parse costs more than
        # the query); dbt writes nothing else back to the stable folder.
        if (stable / PARTIAL_PARSE).exists():
            shutil.copy(stable / PARTIAL_PARSE, run_folder / PARTIAL_PARSE)
        # Not passed a context: that ties the invocation to @dbt_assets; this is a plain command.
        invocation = dbt.cli(
            ["source", "freshness", "--select", SOURCE_SELECTOR], raise_on_error=False, target_path=run_folder
        )
        invocation_ids: set[str] = set()
        errors: list[str] = []
        for event in invocation.stream_raw_events():
            info = event.raw_event.get("info", {})
            if info.get("invocation_id"):
                invocation_ids.add(str(info["invocation_id"]))
            # The stack trace is for dbt.log; its message (the event before) says what happened.
            if info.get("level") == "error" and info.get("name") != "MainStackTrace":
                errors.append(_ANSI.sub("", str(info.get("msg", ""))).strip())
        said = f" (dbt: {'; '.join(errors)})" if errors else ""
        if len(invocation_ids) != 1:
            raise WarehouseUnavailable(f"{cannot}: dbt's log names no single invocation{said}")
        (invocation_id,) = invocation_ids
        problem = _not_written_by(run_folder / "sources.json", invocation_id) or _not_written_by(
            run_folder / "manifest.json", invocation_id
        )
        if problem:
            raise WarehouseUnavailable(f"{cannot}: {problem}{said}")
        sources_json = json.loads((run_folder / "sources.json").read_text())
        measured = DbtManifest(run_folder / "manifest.json").export()
        if warehouse.quoted(measured) != warehouse.quoted(warehouse.export()):
            raise WarehouseUnavailable(
                f"{cannot}: dbt measured {warehouse.quoted(measured)}, the check reads "
                f"{warehouse.quoted(warehouse.export())} (CHARGEBACK_EXPORT_* changed since the definitions loaded?)"
            )
        return sources_json, errors


def _where_dbt_would_look_instead(dbt: DbtCliResource, warehouse: Warehouse) -> str | None:
    """Why dbt, run now, would not measure `warehouse` (None when it would)."""
    if isinstance(warehouse, DuckDBWarehouse) and not warehouse.path.exists():
        return f"{warehouse.path} does not exist: nothing has been ingested yet"
    try:
        # profiles.yml as dbt will render it: the environment dbt's process inherits is this one.
        profile = Settings.from_env()
    except SettingsError as error:
        return f"dbt's profile does not render in this environment: {error}"
    # dagster-dbt passes --target; the profile read here is CHARGEBACK_DBT_TARGET's.
    targets = {dbt.target or profile.target, profile.target}
    if targets != {warehouse.name}:
        return f"dbt's target is {' / '.join(sorted(targets))}, the checked warehouse is {warehouse.name}"
    if isinstance(warehouse, DuckDBWarehouse) and profile.duckdb_working_path.resolve() != warehouse.path.resolve():
        return (
            f"dbt would measure {profile.duckdb_working_path} (the working copy of CHARGEBACK_DUCKDB_PATH), "
            f"not the checked {warehouse.path}"
        )
    return None


def _not_written_by(path: Path, invocation_id: str) -> str | None:
    """Why the artifact at `path` is not dbt's of this invocation (None when it is)."""
    if not path.exists():
        return f"dbt wrote no {path.name}"
    written_by = json.loads(path.read_text()).get("metadata", {}).get("invocation_id")
    if written_by != invocation_id:
        return f"{path} was written by dbt invocation {written_by}, not by this run ({invocation_id})"
    return None
