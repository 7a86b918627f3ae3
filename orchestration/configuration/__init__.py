"""Checks the configuration seeds (seeds/*.csv) before anything builds on them.

A FinOps engineer edits the seeds by hand: the team directory and its aliases, tag-key
aliases, workload phases, phase rules, ancestor (folder) mappings, virtual-tag rules and
shared-cost pools and budgets. A typo there does not fail loudly in SQL: a rule naming an unknown team
silently attributes nothing, two aliases that normalise alike fan a cost row out twice,
weights summing to 0.9 lose money. So every problem is found here, all at once, each naming
the seed file, the data row (1-based, header excluded) and its line in the file, the column,
and what was expected.

    problems = check_configuration(Path("seeds"))
    require_valid_configuration(Path("seeds"))   # raises ConfigurationError

The CLI runs it as `chargeback check-config`, and before `build` and `demo`; the Dagster dbt
asset runs it before `dbt build`, so nothing is built on an invalid configuration.
It judges what dbt loads: loading.py reads each file as dbt-duckdb's seed step does (the header
and column types as dbt reads them, the values by DuckDB's CSV reader with the seed COPY's own
options, whitespace and quoting as loaded), in an in-memory DuckDB, so it needs no warehouse.

One module per seed family: loading.py loads the files, seeds.py reads and reports, teams.py, phases.py,
attribution_rules.py, shared_cost_pools.py, service_categories.py and budgets.py judge their seeds, and
normalisation.py holds the Python twins of the models' normalisation macros.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.configuration.attribution_rules import (
    ANCESTOR_TEAMS,
    VIRTUAL_TAG_RULES,
    check_ancestor_teams,
    check_virtual_tag_rules,
)
from orchestration.configuration.budgets import BUDGETS, check_budgets
from orchestration.configuration.loading import seed_column_types
from orchestration.configuration.phases import (
    WORKLOAD_PHASE_ALIASES,
    WORKLOAD_PHASE_RULES,
    WORKLOAD_PHASES,
    check_phase_aliases,
    check_phase_rules,
    check_phases,
)
from orchestration.configuration.seeds import (
    ConfigurationError,
    ConfigurationProblem,
    read_seed,
    report_unexplained_load_error,
)
from orchestration.configuration.service_categories import (
    SERVICE_CATEGORIES,
    check_service_categories,
    provider_names,
)
from orchestration.configuration.shared_cost_pools import (
    SHARED_COST_POOL_WEIGHTS,
    SHARED_COST_POOLS,
    check_shared_cost_pools,
)
from orchestration.configuration.teams import (
    TAG_KEY_ALIASES,
    TEAM_ALIASES,
    TEAMS,
    check_tag_key_aliases,
    check_team_aliases,
    check_teams,
)

__all__ = ["ConfigurationError", "ConfigurationProblem", "check_configuration", "require_valid_configuration"]

# Every seed, in the order its file problems are reported.
SEED_SPECS = (
    TEAMS,
    TEAM_ALIASES,
    TAG_KEY_ALIASES,
    WORKLOAD_PHASES,
    WORKLOAD_PHASE_ALIASES,
    WORKLOAD_PHASE_RULES,
    SERVICE_CATEGORIES,
    ANCESTOR_TEAMS,
    VIRTUAL_TAG_RULES,
    SHARED_COST_POOLS,
    SHARED_COST_POOL_WEIGHTS,
    BUDGETS,
)


def check_configuration(seeds_dir: Path) -> list[ConfigurationProblem]:
    """Every problem in the configuration seeds of `seeds_dir`, grouped by seed; empty when valid."""
    problems: list[ConfigurationProblem] = []
    column_types = seed_column_types(Path(seeds_dir))
    seeds = {
        spec: read_seed(Path(seeds_dir), spec, problems, column_types.get(spec.file.removesuffix(".csv"), {}))
        for spec in SEED_SPECS
    }
    # The directories first: the other seeds name their teams and phases.
    teams: set[str] | None = check_teams(seeds[TEAMS])
    phases: set[str] | None = check_phases(seeds[WORKLOAD_PHASES])
    # A directory dbt cannot load names nothing: one problem for it, none for each row naming it.
    teams = None if seeds[TEAMS].unreadable else teams
    phases = None if seeds[WORKLOAD_PHASES].unreadable else phases
    check_team_aliases(seeds[TEAM_ALIASES], teams)
    check_tag_key_aliases(seeds[TAG_KEY_ALIASES])
    check_phase_aliases(seeds[WORKLOAD_PHASE_ALIASES], phases)
    check_phase_rules(seeds[WORKLOAD_PHASE_RULES], phases)
    check_service_categories(seeds[SERVICE_CATEGORIES])
    check_ancestor_teams(seeds[ANCESTOR_TEAMS], teams)
    check_virtual_tag_rules(seeds[VIRTUAL_TAG_RULES], teams, phases)
    check_shared_cost_pools(seeds[SHARED_COST_POOLS], seeds[SHARED_COST_POOL_WEIGHTS], teams)
    providers = None if seeds[SERVICE_CATEGORIES].unreadable else provider_names(seeds[SERVICE_CATEGORIES])
    check_budgets(seeds[BUDGETS], teams, phases, providers)
    for seed in seeds.values():
        report_unexplained_load_error(seed)
    return problems


def require_valid_configuration(seeds_dir: Path) -> None:
    """Raise ConfigurationError listing every problem, unless the seeds are valid."""
    problems = check_configuration(seeds_dir)
    if problems:
        raise ConfigurationError(problems)
