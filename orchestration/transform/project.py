"""The dbt project, as dagster-dbt sees it."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.environment import PROJECT_ROOT, current_environment, ensure_dbt_on_path

# What dbt reads: when any of it is newer than the manifest, the manifest is rebuilt.
_DBT_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "seeds", "macros", "tests/dbt")


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in _DBT_SOURCES:
        path = PROJECT_ROOT / name
        paths = [path] if path.is_file() else path.rglob("*")
        newest = max([newest, *(p.stat().st_mtime for p in paths if p.is_file())])
    return newest


def manifest_is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    return not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime()


ensure_dbt_on_path()
dbt_project = DbtProject(project_dir=PROJECT_ROOT, target=current_environment().dbt_target)

# `dagster dev` re-parses on every load; everywhere else (the CLI, tests, deployed code) the
# manifest is parsed once and reused until a dbt file changes.
if dbt_project.preparer.using_dagster_dev() or manifest_is_stale(dbt_project):
    dbt_project.preparer.prepare(dbt_project)
