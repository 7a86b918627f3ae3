"""Checks the configuration seeds (seeds/*.csv) before anything builds on them.

A FinOps engineer edits the seeds by hand: the team directory and its aliases, tag-key
aliases, workload phases, phase rules, ancestor (folder) mappings, virtual-tag rules and
shared-cost pools. A typo there does not fail loudly in SQL: a rule naming an unknown team
silently attributes nothing, two aliases that normalise alike fan a cost row out twice,
weights summing to 0.9 lose money. So every problem is found here, all at once, each naming
the seed file, the data row (1-based, header excluded) and its line in the file, the column,
and what was expected.

    problems = check_configuration(Path("seeds"))
    require_valid_configuration(Path("seeds"))   # raises ConfigurationError

The CLI runs it as `chargeback check-config`, and before `build` and `demo`; the Dagster dbt
asset runs it before `dbt build`, so nothing is built on an invalid configuration.
Only the csv module is used: the check is fast and needs no warehouse.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

# What the models do before matching (macros/attribution/normalize.sql); the check must agree.


def normalize_team_value(value: str) -> str:
    return value.strip().lower().replace("_", "-")


def normalize_tag_key(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def normalize_phase_value(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


UNALLOCATED_TEAM = "unallocated"
UNCLASSIFIED_PHASE = "unclassified"
TAG_KEY_CANONICAL_KEYS = ("team", "workload_phase")
WEIGHT_TOLERANCE = Decimal("1e-9")

_INTEGER = re.compile(r"^[+-]?\d+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ANCESTOR = re.compile(r"^(folders|organizations|projects)/[^/\s]+$")


@dataclass(frozen=True)
class ConfigurationProblem:
    """One problem in one seed. `row` is the 1-based data row (the header is not a row) and
    `line` its line in the file; both are None for a problem with the file or its header."""

    seed: str
    message: str
    row: int | None = None
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = f"seeds/{self.seed}"
        if self.row is not None:
            where += f", row {self.row} (line {self.line})"
        elif self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ConfigurationError(Exception):
    """The configuration seeds have problems; `problems` lists every one."""

    def __init__(self, problems: list[ConfigurationProblem]):
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{count} configuration problem{'s' if count != 1 else ''} in the seeds:\n{lines}")


@dataclass(frozen=True)
class SeedSpec:
    """What a seed must look like. `strict` seeds (rules and mappings) reject unknown columns:
    a misspelt `sku_patern` would otherwise be ignored and the rule would match everything."""

    file: str
    columns: tuple[str, ...]
    required: tuple[str, ...] = ()
    optional_file: bool = False
    strict: bool = False


SEEDS: dict[str, SeedSpec] = {
    spec.file: spec
    for spec in (
        SeedSpec("teams.csv", ("team", "team_name", "cost_center", "owner_email", "description"), ("team",)),
        SeedSpec("team_aliases.csv", ("alias", "team"), ("alias", "team")),
        SeedSpec("tag_key_aliases.csv", ("alias", "canonical_key", "priority"), ("alias", "canonical_key", "priority")),
        SeedSpec("workload_phases.csv", ("workload_phase", "description", "is_ai"), ("workload_phase",)),
        SeedSpec("workload_phase_aliases.csv", ("alias", "workload_phase"), ("alias", "workload_phase")),
        SeedSpec(
            "workload_phase_rules.csv",
            ("rule_id", "priority", "service_pattern", "sku_pattern", "resource_pattern", "workload_phase", "note"),
            ("rule_id", "priority", "workload_phase"),
            strict=True,
        ),
        SeedSpec(
            "service_categories.csv",
            ("provider_name", "service_name", "service_category", "service_subcategory"),
            ("provider_name", "service_name", "service_category"),
        ),
        SeedSpec("ancestor_teams.csv", ("ancestor", "team", "note"), ("ancestor", "team"), optional_file=True, strict=True),
        SeedSpec(
            "virtual_tag_rules.csv",
            (
                "rule_id", "priority", "provider_name", "billing_account_id", "sub_account_pattern", "service_pattern",
                "sku_pattern", "resource_pattern", "label_key", "label_value_pattern", "team", "workload_phase",
                "valid_from", "valid_to", "note",
            ),
            ("rule_id", "priority"),
            optional_file=True,
            strict=True,
        ),
        SeedSpec(
            "shared_cost_pools.csv",
            ("pool_id", "priority", "team", "sub_account_pattern", "service_pattern", "sku_pattern", "method", "basis_period", "note"),
            ("pool_id", "priority", "method", "basis_period"),
            optional_file=True,
            strict=True,
        ),
        SeedSpec("shared_cost_pool_weights.csv", ("pool_id", "team", "weight"), ("pool_id", "team"), optional_file=True, strict=True),
    )
}

# Split methods of shared-cost pools (only `fixed` takes weights) and their basis periods.
SPLIT_METHODS = ("even", "proportional", "fixed")
BASIS_PERIODS = ("day", "month")


@dataclass(eq=False)
class Row:
    number: int  # 1-based data row
    line: int  # line of the file where the row starts
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column) or ""


@dataclass
class Seed:
    spec: SeedSpec
    header: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    present: bool = False

    def has(self, column: str) -> bool:
        return column in self.header


class _Checker:
    def __init__(self, seeds_dir: Path):
        self.seeds_dir = seeds_dir
        self.problems: list[ConfigurationProblem] = []
        self.seeds = {name: self._read(spec) for name, spec in SEEDS.items()}

    # -- reporting ---------------------------------------------------------------------------

    def problem(self, seed: str, message: str, row: Row | None = None, column: str | None = None, line: int | None = None):
        self.problems.append(
            ConfigurationProblem(
                seed=seed, message=message, row=row.number if row else None,
                line=row.line if row else line, column=column,
            )
        )

    # -- reading -----------------------------------------------------------------------------

    def _read(self, spec: SeedSpec) -> Seed:
        seed = Seed(spec)
        path = self.seeds_dir / spec.file
        if not path.exists():
            if not spec.optional_file:
                self.problem(spec.file, "file is missing")
            return seed
        seed.present = True
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            self.problem(spec.file, f"cannot be read as UTF-8 text: {error}")
            return seed
        reader = csv.reader(text.splitlines(keepends=True))
        try:
            header = next(reader, None)
            if header is None:
                self.problem(spec.file, "file is empty: expected a header line", line=1)
                return seed
            seed.header = [name.strip() for name in header]
            self._check_header(seed)
            number = 0
            start_line = reader.line_num + 1
            for fields in reader:
                line, start_line = start_line, reader.line_num + 1
                if not any(value.strip() for value in fields):
                    continue  # blank line
                number += 1
                row = Row(number, line, {})
                if len(fields) != len(seed.header):
                    self.problem(spec.file, f"has {len(fields)} fields but the header has {len(seed.header)}", row)
                for name, value in zip(seed.header, fields):
                    row.values.setdefault(name, value.strip())
                seed.rows.append(row)
        except csv.Error as error:
            self.problem(spec.file, f"is not valid CSV: {error}", line=reader.line_num)
        return seed

    def _check_header(self, seed: Seed) -> None:
        spec = seed.spec
        seen: set[str] = set()
        for name in seed.header:
            if name in seen:
                self.problem(spec.file, f"column {name!r} appears twice in the header", column=name, line=1)
            seen.add(name)
            if spec.strict and name not in spec.columns:
                self.problem(
                    spec.file,
                    f"unknown column {name!r}; expected columns: {', '.join(spec.columns)}",
                    column=name, line=1,
                )
        for name in spec.required:
            if name not in seen:
                self.problem(spec.file, f"required column {name!r} is missing from the header", column=name, line=1)

    # -- field helpers -----------------------------------------------------------------------

    def required(self, seed: Seed) -> list[Row]:
        """Report empty required fields; return the rows whose required fields are all filled
        (none when a required column is missing: that is reported once, for the header)."""
        if any(not seed.has(name) for name in seed.spec.required):
            return []
        complete = []
        for row in seed.rows:
            missing = [name for name in seed.spec.required if not row.get(name)]
            for name in missing:
                self.problem(seed.spec.file, "required value is empty", row, name)
            if not missing:
                complete.append(row)
        return complete

    def integer(self, seed: Seed, row: Row, column: str) -> int | None:
        value = row.get(column)
        if not value:
            return None
        if not _INTEGER.match(value):
            self.problem(seed.spec.file, f"{value!r} is not a whole number", row, column)
            return None
        return int(value)

    def decimal(self, seed: Seed, row: Row, column: str) -> Decimal | None:
        value = row.get(column)
        if not value:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.problem(seed.spec.file, f"{value!r} is not a number", row, column)
            return None
        return number

    def iso_date(self, seed: Seed, row: Row, column: str) -> date | None:
        value = row.get(column)
        if not value:
            return None
        try:
            if not _ISO_DATE.match(value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.problem(seed.spec.file, f"{value!r} is not a date (expected YYYY-MM-DD)", row, column)
            return None

    def boolean(self, seed: Seed, row: Row, column: str) -> None:
        value = row.get(column)
        if value and value.lower() not in ("true", "false"):
            self.problem(seed.spec.file, f"{value!r} is not a boolean (expected true or false)", row, column)

    def known(self, seed: Seed, row: Row, column: str, known: set[str], what: str, source: str) -> bool:
        value = row.get(column)
        if value and value not in known:
            self.problem(seed.spec.file, f"unknown {what} {value!r}: not in seeds/{source}", row, column)
            return False
        return True

    def unique(self, seed: Seed, rows: list[Row], columns: tuple[str, ...], normalize=lambda value: value) -> None:
        first: dict[tuple[str, ...], Row] = {}
        for row in rows:
            key = tuple(normalize(row.get(name)) for name in columns)
            if not all(key):
                continue
            if key in first:
                shown = ", ".join(f"{name}={row.get(name)!r}" for name in columns)
                self.problem(seed.spec.file, f"duplicate {shown}: already on row {first[key].number}", row, columns[0])
            else:
                first[key] = row

    # -- the checks --------------------------------------------------------------------------

    def run(self) -> list[ConfigurationProblem]:
        teams = self.check_teams()
        phases = self.check_phases()
        self.check_team_aliases(teams)
        self.check_tag_key_aliases()
        self.check_phase_aliases(phases)
        self.check_phase_rules(phases)
        self.check_service_categories()
        self.check_ancestor_teams(teams)
        self.check_virtual_tag_rules(teams, phases)
        self.check_shared_cost_pools(teams)
        return self.problems

    def check_teams(self) -> set[str]:
        seed = self.seeds["teams.csv"]
        rows = self.required(seed)
        self.unique(seed, rows, ("team",))
        for row in rows:
            team = row.get("team")
            if team == UNALLOCATED_TEAM:
                self.problem(seed.spec.file, f"{UNALLOCATED_TEAM!r} is reserved for costs no team owns", row, "team")
            elif team != normalize_team_value(team):
                self.problem(
                    seed.spec.file,
                    f"team key {team!r} is not in normalised form (lowercase, no spaces around, '-' not '_'): "
                    f"write {normalize_team_value(team)!r}",
                    row, "team",
                )
        return {row.get("team") for row in rows}

    def check_phases(self) -> set[str]:
        seed = self.seeds["workload_phases.csv"]
        rows = self.required(seed)
        self.unique(seed, rows, ("workload_phase",))
        for row in seed.rows:
            self.boolean(seed, row, "is_ai")
        return {row.get("workload_phase") for row in rows}

    def check_team_aliases(self, teams: set[str]) -> None:
        seed = self.seeds["team_aliases.csv"]
        rows = self.required(seed)
        first: dict[str, Row] = {}
        for row in rows:
            self.known(seed, row, "team", teams, "team", "teams.csv")
            alias = normalize_team_value(row.get("alias"))
            if alias in first:
                other = first[alias]
                if other.get("team") != row.get("team"):
                    message = (
                        f"alias {row.get('alias')!r} (normalised {alias!r}) means team {row.get('team')!r} here "
                        f"but {other.get('team')!r} on row {other.number}"
                    )
                else:
                    # Same team: harmless in meaning, but the join on the normalised alias would
                    # match twice and count the cost twice.
                    message = (
                        f"duplicate alias {row.get('alias')!r} (normalised {alias!r}): already on row {other.number}; "
                        "remove one, each alias must appear once"
                    )
                self.problem(seed.spec.file, message, row, "alias")
            else:
                first[alias] = row
        # A label carrying the team's own key must resolve: the models map values only through aliases.
        if seed.present and seed.has("alias") and seed.has("team"):
            self_aliased = {row.get("team") for row in rows if normalize_team_value(row.get("alias")) == row.get("team")}
            for team in sorted(teams - self_aliased - {"", UNALLOCATED_TEAM}):
                self.problem(seed.spec.file, f"team {team!r} has no alias for its own key: add the row `{team},{team}`")

    def check_tag_key_aliases(self) -> None:
        seed = self.seeds["tag_key_aliases.csv"]
        rows = self.required(seed)
        for row in seed.rows:
            self.integer(seed, row, "priority")
        for row in rows:
            key = row.get("canonical_key")
            if key not in TAG_KEY_CANONICAL_KEYS:
                self.problem(seed.spec.file, f"canonical_key {key!r} must be one of: {', '.join(TAG_KEY_CANONICAL_KEYS)}", row, "canonical_key")
        self.unique(seed, rows, ("alias",), normalize_tag_key)

    def check_phase_aliases(self, phases: set[str]) -> None:
        seed = self.seeds["workload_phase_aliases.csv"]
        rows = self.required(seed)
        for row in rows:
            self.known(seed, row, "workload_phase", phases, "workload phase", "workload_phases.csv")
        self.unique(seed, rows, ("alias",), normalize_phase_value)

    def check_phase_rules(self, phases: set[str]) -> None:
        seed = self.seeds["workload_phase_rules.csv"]
        rows = self.required(seed)
        for row in seed.rows:
            self.integer(seed, row, "priority")
        for row in rows:
            self.known(seed, row, "workload_phase", phases, "workload phase", "workload_phases.csv")
        self.unique(seed, rows, ("rule_id",))
        # First match wins: two rules with one priority would be tried in an arbitrary order.
        self.unique(seed, rows, ("priority",))

    def check_service_categories(self) -> None:
        seed = self.seeds["service_categories.csv"]
        rows = self.required(seed)
        self.unique(seed, rows, ("provider_name", "service_name"))

    def check_ancestor_teams(self, teams: set[str]) -> None:
        seed = self.seeds["ancestor_teams.csv"]
        rows = self.required(seed)
        for row in rows:
            self.known(seed, row, "team", teams, "team", "teams.csv")
            if not _ANCESTOR.match(row.get("ancestor")):
                self.problem(
                    seed.spec.file,
                    f"ancestor {row.get('ancestor')!r} is not a resource name like folders/123456789012 "
                    "(organizations/… and projects/… work too)", row, "ancestor",
                )
        self.unique(seed, rows, ("ancestor",))

    def check_virtual_tag_rules(self, teams: set[str], phases: set[str]) -> None:
        seed = self.seeds["virtual_tag_rules.csv"]
        file = seed.spec.file
        rows = self.required(seed)
        ranges: dict[str, list[tuple[Row, date | None, date | None]]] = defaultdict(list)
        for row in seed.rows:
            priority = self.integer(seed, row, "priority")
            valid_from = self.iso_date(seed, row, "valid_from")
            valid_to = self.iso_date(seed, row, "valid_to")
            if row not in rows:
                continue
            self.known(seed, row, "team", teams, "team", "teams.csv")
            self.known(seed, row, "workload_phase", phases, "workload phase", "workload_phases.csv")
            if (seed.has("team") or seed.has("workload_phase")) and not row.get("team") and not row.get("workload_phase"):
                self.problem(file, "the rule sets neither a team nor a workload_phase", row, "team")
            label_key = row.get("label_key")
            if label_key and label_key != normalize_tag_key(label_key):
                self.problem(
                    file, f"label_key {label_key!r} is compared in normalised form: write {normalize_tag_key(label_key)!r}",
                    row, "label_key",
                )
            if row.get("label_value_pattern") and not label_key:
                self.problem(file, "label_value_pattern needs a label_key to match against", row, "label_key")
            if valid_from and valid_to and valid_from >= valid_to:
                self.problem(
                    file, f"valid_from {valid_from} is not before valid_to {valid_to} (valid_to is exclusive)", row, "valid_from"
                )
                continue
            rule_id = row.get("rule_id")
            # Date-range splits of one rule share its id and priority, and must not overlap.
            for other, other_from, other_to in ranges[rule_id]:
                if priority is not None and other.get("priority") and other.get("priority") != row.get("priority"):
                    self.problem(
                        file, f"rule {rule_id!r} has priority {priority} here but {other.get('priority')} on row {other.number}: "
                        "the date-range rows of one rule share its priority", row, "priority",
                    )
                if _overlap(valid_from, valid_to, other_from, other_to):
                    if not (valid_from or valid_to or other_from or other_to):
                        message = (
                            f"duplicate rule_id {rule_id!r}: already on row {other.number} "
                            "(only date-range splits of one rule may share its id)"
                        )
                    else:
                        message = (
                            f"rule {rule_id!r} is valid {_describe(valid_from, valid_to)} here and "
                            f"{_describe(other_from, other_to)} on row {other.number}: "
                            "the date ranges of one rule must not overlap"
                        )
                    self.problem(file, message, row, "rule_id")
            ranges[rule_id].append((row, valid_from, valid_to))

    def check_shared_cost_pools(self, teams: set[str]) -> None:
        pools_seed = self.seeds["shared_cost_pools.csv"]
        weights_seed = self.seeds["shared_cost_pool_weights.csv"]
        pools_file, weights_file = pools_seed.spec.file, weights_seed.spec.file

        pools = self.required(pools_seed)
        for row in pools_seed.rows:
            self.integer(pools_seed, row, "priority")
        self.unique(pools_seed, pools, ("pool_id",))
        self.unique(pools_seed, pools, ("priority",))
        methods: dict[str, str] = {}
        for row in pools:
            # A pool may take the costs of `unallocated` (nobody owns them), or of a known team.
            self.known(pools_seed, row, "team", teams | {UNALLOCATED_TEAM}, "team", "teams.csv")
            method = row.get("method")
            if method not in SPLIT_METHODS:
                self.problem(pools_file, f"method {method!r} must be one of: {', '.join(SPLIT_METHODS)}", row, "method")
            period = row.get("basis_period")
            if period not in BASIS_PERIODS:
                self.problem(pools_file, f"basis_period {period!r} must be one of: {', '.join(BASIS_PERIODS)}", row, "basis_period")
            methods.setdefault(row.get("pool_id"), method)

        recipients = self.required(weights_seed)
        self.unique(weights_seed, recipients, ("pool_id", "team"))
        totals: dict[str, Decimal] = defaultdict(Decimal)
        last_row: dict[str, Row] = {}
        listed: set[str] = set()
        for row in weights_seed.rows:
            weight = self.decimal(weights_seed, row, "weight")
            if row not in recipients:
                continue
            pool_id = row.get("pool_id")
            listed.add(pool_id)
            self.known(weights_seed, row, "team", teams, "team", "teams.csv")
            if pool_id not in methods:
                self.problem(weights_file, f"unknown pool_id {pool_id!r}: not in seeds/{pools_file}", row, "pool_id")
                continue
            fixed = methods[pool_id] == "fixed"
            if fixed and not row.get("weight"):
                self.problem(weights_file, f"pool {pool_id!r} splits by fixed weights: the weight is required", row, "weight")
            elif not fixed and row.get("weight"):
                self.problem(
                    weights_file,
                    f"pool {pool_id!r} splits by {methods[pool_id]!r}: leave the weight empty (weights apply to method 'fixed')",
                    row, "weight",
                )
            if weight is None or not fixed:
                continue
            if weight < 0:
                self.problem(weights_file, f"weight {weight} is negative", row, "weight")
            totals[pool_id] += weight
            last_row[pool_id] = row
        for pool_id, total in totals.items():
            if abs(total - 1) > WEIGHT_TOLERANCE:
                self.problem(
                    weights_file, f"weights of pool {pool_id!r} sum to {total}, not 1 (reported on its last row)",
                    last_row[pool_id], "weight",
                )
        for row in pools:
            if row.get("method") == "fixed" and row.get("pool_id") not in listed:
                self.problem(
                    pools_file, f"pool {row.get('pool_id')!r} splits by fixed weights but lists none in seeds/{weights_file}",
                    row, "method",
                )


def _overlap(a_from: date | None, a_to: date | None, b_from: date | None, b_to: date | None) -> bool:
    """Do two [valid_from, valid_to) ranges overlap? valid_to is exclusive (seeds/_attribution_seeds.yml);
    an empty bound is open (since ever / for ever)."""
    return (a_from is None or b_to is None or a_from < b_to) and (b_from is None or a_to is None or b_from < a_to)


def _describe(valid_from: date | None, valid_to: date | None) -> str:
    return f"[{valid_from or 'open'}, {valid_to or 'open'})"


def check_configuration(seeds_dir: Path) -> list[ConfigurationProblem]:
    """Every problem in the configuration seeds of `seeds_dir`, grouped by seed; empty when valid."""
    return _Checker(Path(seeds_dir)).run()


def require_valid_configuration(seeds_dir: Path) -> None:
    """Raise ConfigurationError listing every problem, unless the seeds are valid."""
    problems = check_configuration(seeds_dir)
    if problems:
        raise ConfigurationError(problems)
