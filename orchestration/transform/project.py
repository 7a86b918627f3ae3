"""The dbt project as dagster-dbt sees it, prepared for the settings in use, and what its
manifest says about where things are.

The manifest is parsed for one target and one environment: the export's location (the dbt
source reads ``CHARGEBACK_EXPORT_*``) and every model's schema are rendered into it. So each
target keeps its own manifest (``target/<target>/``), and a manifest parsed for other settings or
older files is prepared again before anything uses it: by `prepare`, which the CLI, the tests'
session and ``dagster dev`` call. Importing the definitions never runs dbt; it refuses a manifest
that does not fit (`require_prepared`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from dagster_dbt import DbtProject

from orchestration.locks import hold
from orchestration.settings import PROJECT_ROOT, Settings

# What dbt reads: when any of it is newer than the manifest, the manifest is parsed again.
DBT_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "seeds", "macros", "tests/dbt")
PREPARED_FOR = "prepared_for.json"

GCP_EXPORT_SOURCE = "source.ai_chargeback.gcp_billing_export.detailed_usage_cost"


class DbtProjectNotPrepared(RuntimeError):
    """The manifest is missing, or was parsed for other settings or older files."""


def chargeback_dbt_project(settings: Settings, project_dir: Path = PROJECT_ROOT) -> DbtProject:
    """The dbt project for the settings' target, with its own manifest under target/<target>/.
    `project_dir`: a copy of the project (tests build modified copies)."""
    _dbt_beside_this_python()
    return DbtProject(project_dir=project_dir, target=settings.target, target_path=Path("target") / settings.target)


# A parse takes seconds; one waiting longer than this is stuck behind something else.
PARSE_WAIT_SECONDS = 600


def is_prepared(project: DbtProject, settings: Settings) -> bool:
    stamp = project.manifest_path.with_name(PREPARED_FOR)
    if not project.manifest_path.exists() or not stamp.exists():
        return False
    try:
        prepared_for = json.loads(stamp.read_text()).get("fingerprint")
    except ValueError:  # written by an older version while another wrote it too
        return False
    if prepared_for != settings.fingerprint():
        return False
    return project.manifest_path.stat().st_mtime >= _newest_dbt_file_mtime(project.project_dir)


def prepare(project: DbtProject, settings: Settings) -> None:
    """Parse the project (dbt parse) unless its manifest already fits these settings and files."""
    if is_prepared(project, settings) and not project.preparer.using_dagster_dev():
        return
    # Commands started together (a sensor's runs, a person's) parse one after the other; the
    # next finds the manifest ready.
    with hold(
        project.manifest_path, "dbt parse", PARSE_WAIT_SECONDS, subject=f"the dbt manifest {project.manifest_path}"
    ):
        if is_prepared(project, settings) and not project.preparer.using_dagster_dev():
            return
        project.preparer.prepare(project)
        stamp = project.manifest_path.with_name(PREPARED_FOR)
        staged = stamp.with_name(stamp.name + ".tmp")
        staged.write_text(
            json.dumps({"fingerprint": settings.fingerprint(), "environment": dict(settings.environment)}, indent=2)
        )
        staged.replace(stamp)


def require_prepared(project: DbtProject, settings: Settings) -> None:
    if project.preparer.using_dagster_dev():
        prepare(project, settings)  # `dagster dev` re-parses on every load, as dagster-dbt does
    elif not is_prepared(project, settings):
        raise DbtProjectNotPrepared(
            f"the dbt manifest {project.manifest_path} is missing, or was parsed for other settings or older "
            "files: run `chargeback prepare` (the CLI's other commands do it themselves)"
        )


def _newest_dbt_file_mtime(project_dir: Path) -> float:
    newest = 0.0
    for name in DBT_SOURCES:
        path = project_dir / name
        paths = [path] if path.is_file() else path.rglob("*")
        newest = max([newest, *(p.stat().st_mtime for p in paths if p.is_file())])
    return newest


def _dbt_beside_this_python() -> None:
    """dagster-dbt runs `dbt` from PATH; make it the one installed beside this interpreter,
    so `.venv/bin/python -m pytest` or a scheduler need not activate the virtualenv."""
    bin_dir = Path(sys.executable).parent
    if (bin_dir / "dbt").exists() and shutil.which("dbt") != str(bin_dir / "dbt"):
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"


@dataclass(frozen=True)
class Relation:
    """A table or view as dbt resolved it: `schema` is a DuckDB schema or a BigQuery dataset."""

    database: str
    schema: str
    identifier: str

    @property
    def table_id(self) -> str:
        """`database.schema.identifier`, as BigQuery's client names a table."""
        return f"{self.database}.{self.schema}.{self.identifier}"


class DbtManifest:
    """Where the export and the models are, as the manifest (parsed for these settings) says."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @classmethod
    def read(cls, path: Path) -> DbtManifest:
        """The manifest at `path`, parsed once per version of the file (it is a few MB of JSON,
        and every check asks it where a relation is)."""
        return _read_manifest(Path(path), Path(path).stat().st_mtime_ns)

    @cached_property
    def data(self) -> dict[str, Any]:
        return json.loads(self.path.read_text())

    def export(self) -> Relation:
        """The GCP billing export: the raw table locally, the export table in place on BigQuery."""
        return self._relation(self.export_source())

    def export_source(self) -> dict[str, Any]:
        return self.data["sources"][GCP_EXPORT_SOURCE]

    def model(self, name: str) -> Relation:
        nodes = [
            node
            for node in self.data["nodes"].values()
            if node["resource_type"] in ("model", "seed") and node["name"] == name
        ]
        if len(nodes) != 1:
            raise KeyError(f"{name!r} is not a model of the dbt project ({self.path})")
        return self._relation(nodes[0])

    def marts(self) -> list[Relation]:
        """Every mart that is a relation (the models of custom schema `marts`), by name."""
        nodes = [
            node
            for node in self.data["nodes"].values()
            if node["resource_type"] == "model"
            and node["config"].get("schema") == "marts"
            and node["config"].get("materialized") != "ephemeral"
        ]
        return sorted((self._relation(node) for node in nodes), key=lambda relation: relation.identifier)

    @staticmethod
    def _relation(node: dict[str, Any]) -> Relation:
        return Relation(node["database"], node["schema"], node.get("alias") or node.get("identifier") or node["name"])


@lru_cache(maxsize=4)
def _read_manifest(path: Path, version: int) -> DbtManifest:
    return DbtManifest(path)
