"""The team directory (teams.csv) and the spellings that lead to it: team label values
(team_aliases.csv) and the label keys that carry a team or a phase (tag_key_aliases.csv)."""

from __future__ import annotations

from orchestration.configuration.normalisation import (
    normalize_tag_key,
    normalize_team_value,
)
from orchestration.configuration.seeds import Row, Seed, SeedSpec

UNALLOCATED_TEAM = "unallocated"
TAG_KEY_CANONICAL_KEYS = ("team", "workload_phase")

TEAMS = SeedSpec(
    "teams.csv",
    ("team", "team_name", "cost_center", "owner_email", "description"),
    ("team",),
    free_text=("team_name", "cost_center", "owner_email", "description"),
)
TEAM_ALIASES = SeedSpec("team_aliases.csv", ("alias", "team"), ("alias", "team"), trimmed=("alias",))
TAG_KEY_ALIASES = SeedSpec(
    "tag_key_aliases.csv",
    ("alias", "canonical_key", "priority"),
    ("alias", "canonical_key", "priority"),
    trimmed=("alias",),
)


def check_teams(seed: Seed) -> set[str]:
    """Check the team directory; return its team keys."""
    rows = seed.complete_rows()
    seed.unique(rows, ("team",))
    for row in rows:
        team = row.get("team")
        if team == UNALLOCATED_TEAM:
            seed.problem(f"{UNALLOCATED_TEAM!r} is reserved for costs no team owns", row, "team")
        elif team != normalize_team_value(team):
            seed.problem(
                f"team key {team!r} is not in normalised form (lowercase, no spaces around, '-' not '_'): "
                f"write {normalize_team_value(team)!r}",
                row,
                "team",
            )
    return {row.get("team") for row in rows}


def check_team_aliases(seed: Seed, teams: set[str] | None) -> None:
    rows = seed.complete_rows()
    first: dict[str, Row] = {}
    for row in rows:
        seed.known(row, "team", teams, "team", TEAMS.file)
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
            seed.problem(message, row, "alias")
        else:
            first[alias] = row
    # A label carrying the team's own key must resolve: the models map values only through aliases.
    if teams is not None and seed.present and seed.has("alias") and seed.has("team"):
        self_aliased = {row.get("team") for row in rows if normalize_team_value(row.get("alias")) == row.get("team")}
        for team in sorted(teams - self_aliased - {"", UNALLOCATED_TEAM}):
            seed.problem(f"team {team!r} has no alias for its own key: add the row `{team},{team}`")


def check_tag_key_aliases(seed: Seed) -> None:
    rows = seed.complete_rows()
    for row in seed.rows:
        seed.integer(row, "priority")
    for row in rows:
        key = row.get("canonical_key")
        if key not in TAG_KEY_CANONICAL_KEYS:
            seed.problem(
                f"canonical_key {key!r} must be one of: {', '.join(TAG_KEY_CANONICAL_KEYS)}", row, "canonical_key"
            )
    seed.unique(rows, ("alias",), normalize_tag_key)
