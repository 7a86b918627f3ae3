"""Attribution rules beyond labels: folder (ancestor) mappings (ancestor_teams.csv) and
virtual-tag rules (virtual_tag_rules.csv), with the date ranges that split one rule."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

from orchestration.configuration.normalisation import normalize_tag_key
from orchestration.configuration.phases import WORKLOAD_PHASES
from orchestration.configuration.seeds import Row, Seed, SeedSpec, integer_value
from orchestration.configuration.teams import TEAMS

ANCESTOR_TEAMS = SeedSpec(
    "ancestor_teams.csv",
    ("ancestor", "team", "note"),
    ("ancestor", "team"),
    optional_file=True,
    strict=True,
    free_text=("note",),
)
VIRTUAL_TAG_RULES = SeedSpec(
    "virtual_tag_rules.csv",
    (
        "rule_id",
        "priority",
        "provider_name",
        "billing_account_id",
        "sub_account_pattern",
        "service_pattern",
        "sku_pattern",
        "resource_pattern",
        "label_key",
        "label_value_pattern",
        "team",
        "workload_phase",
        "valid_from",
        "valid_to",
        "note",
    ),
    ("rule_id", "priority"),
    optional_file=True,
    strict=True,
    free_text=("note",),
    trimmed=("label_key",),
)

_ANCESTOR = re.compile(r"^(folders|organizations|projects)/[^/\s]+$")


def check_ancestor_teams(seed: Seed, teams: set[str] | None) -> None:
    rows = seed.complete_rows()
    for row in rows:
        seed.known(row, "team", teams, "team", TEAMS.file)
        if not _ANCESTOR.match(row.get("ancestor")):
            seed.problem(
                f"ancestor {row.get('ancestor')!r} is not a resource name like folders/123456789012 "
                "(organizations/… and projects/… work too)",
                row,
                "ancestor",
            )
    seed.unique(rows, ("ancestor",))


def check_virtual_tag_rules(seed: Seed, teams: set[str] | None, phases: set[str] | None) -> None:
    rows = seed.complete_rows()
    ranges: dict[str, list[tuple[Row, date | None, date | None]]] = defaultdict(list)
    for row in seed.rows:
        priority = seed.integer(row, "priority")
        valid_from = seed.iso_date(row, "valid_from")
        valid_to = seed.iso_date(row, "valid_to")
        if row not in rows:
            continue
        seed.known(row, "team", teams, "team", TEAMS.file)
        seed.known(row, "workload_phase", phases, "workload phase", WORKLOAD_PHASES.file)
        if (seed.has("team") or seed.has("workload_phase")) and not row.get("team") and not row.get("workload_phase"):
            seed.problem("the rule sets neither a team nor a workload_phase", row, "team")
        label_key = row.get("label_key")
        if label_key and label_key != normalize_tag_key(label_key):
            seed.problem(
                f"label_key {label_key!r} is compared in normalised form: write {normalize_tag_key(label_key)!r}",
                row,
                "label_key",
            )
        if row.get("label_value_pattern") and not label_key:
            seed.problem("label_value_pattern needs a label_key to match against", row, "label_key")
        if valid_from and valid_to and valid_from >= valid_to:
            seed.problem(
                f"valid_from {valid_from} is not before valid_to {valid_to} (valid_to is exclusive)", row, "valid_from"
            )
            continue
        rule_id = row.get("rule_id")
        # Date-range splits of one rule share its id and priority, and must not overlap.
        for other, other_from, other_to in ranges[rule_id]:
            if (
                priority is not None
                and other.get("priority")
                and integer_value(other.get("priority")) != integer_value(row.get("priority"))
            ):
                seed.problem(
                    f"rule {rule_id!r} has priority {priority} here but {other.get('priority')} on row {other.number}: "
                    "the date-range rows of one rule share its priority",
                    row,
                    "priority",
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
                seed.problem(message, row, "rule_id")
        ranges[rule_id].append((row, valid_from, valid_to))


def _overlap(a_from: date | None, a_to: date | None, b_from: date | None, b_to: date | None) -> bool:
    """Do two [valid_from, valid_to) ranges overlap? valid_to is exclusive (seeds/_seeds.yml);
    an empty bound is open (since ever / for ever)."""
    return (a_from is None or b_to is None or a_from < b_to) and (b_from is None or a_to is None or b_from < a_to)


def _describe(valid_from: date | None, valid_to: date | None) -> str:
    return f"[{valid_from or 'open'}, {valid_to or 'open'})"
