"""The configuration check: the committed seeds are valid, and each kind of defect is reported
with its seed file, row and column, all at once."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from orchestration.configuration import (
    ConfigurationError,
    ConfigurationProblem,
    check_configuration,
    require_valid_configuration,
)
from orchestration.configuration.shared_cost_pools import BASIS_PERIODS, SPLIT_METHODS
from orchestration.configuration.teams import TAG_KEY_CANONICAL_KEYS
from orchestration.settings import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "seeds"

VIRTUAL_TAG_RULES_HEADER = (
    "rule_id,priority,provider_name,billing_account_id,sub_account_pattern,service_pattern,sku_pattern,"
    "resource_pattern,label_key,label_value_pattern,team,workload_phase,valid_from,valid_to,note\n"
)


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A private copy of the committed seeds, to break one thing in."""
    return Path(shutil.copytree(SEEDS, tmp_path / "seeds"))


def _append(seeds: Path, name: str, *lines: str) -> None:
    path = seeds / name
    text = path.read_text()
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + "".join(line + "\n" for line in lines))


def _data_rows(seeds: Path, name: str) -> int:
    return sum(1 for line in (seeds / name).read_text().splitlines()[1:] if line.strip())


def _rule(rule_id="r1", priority="10", team="applied-ml", phase="", valid_from="", valid_to="", **patterns) -> str:
    columns = [
        "provider_name",
        "billing_account_id",
        "sub_account_pattern",
        "service_pattern",
        "sku_pattern",
        "resource_pattern",
        "label_key",
        "label_value_pattern",
    ]
    return ",".join(
        [rule_id, priority, *(patterns.get(c, "") for c in columns), team, phase, valid_from, valid_to, "why"]
    )


def _write_rules(seeds: Path, *rules: str, header: str = VIRTUAL_TAG_RULES_HEADER) -> None:
    (seeds / "virtual_tag_rules.csv").write_text(header + "".join(rule + "\n" for rule in rules))


def _only(problems: list[ConfigurationProblem]) -> ConfigurationProblem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_the_committed_seeds_are_valid():
    assert check_configuration(SEEDS) == [], "\n".join(map(str, check_configuration(SEEDS)))
    require_valid_configuration(SEEDS)


# -- unknown teams and phases ------------------------------------------------------------------


def test_alias_naming_an_unknown_team(seeds):
    _append(seeds, "team_aliases.csv", "fm2,foundation-modelz")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.row, problem.column) == (
        "team_aliases.csv",
        _data_rows(seeds, "team_aliases.csv"),
        "team",
    )
    assert "unknown team 'foundation-modelz'" in problem.message
    assert problem.line == problem.row + 1


def test_phase_alias_naming_an_unknown_phase(seeds):
    _append(seeds, "workload_phase_aliases.csv", "serving2,servin")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.column) == ("workload_phase_aliases.csv", "workload_phase")
    assert "unknown workload phase 'servin'" in problem.message


def test_phase_rule_naming_an_unknown_phase(seeds):
    _append(seeds, "workload_phase_rules.csv", "new-rule,999,,%x%,,trainin,typo")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.row, problem.column) == (
        "workload_phase_rules.csv",
        _data_rows(seeds, "workload_phase_rules.csv"),
        "workload_phase",
    )


def test_virtual_rule_naming_an_unknown_team_or_phase(seeds):
    _write_rules(
        seeds, _rule("ok", "10"), _rule("bad-team", "20", team="nobody"), _rule("bad-phase", "30", phase="trainin")
    )
    problems = check_configuration(seeds)
    assert {(p.seed, p.row, p.column) for p in problems} == {
        ("virtual_tag_rules.csv", 2, "team"),
        ("virtual_tag_rules.csv", 3, "workload_phase"),
    }


def test_ancestor_mapping_to_an_unknown_team(seeds):
    (seeds / "ancestor_teams.csv").write_text("ancestor,team,note\nfolders/1,applied-ml,\nfolders/2,ghosts,\n")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.row, problem.column) == ("ancestor_teams.csv", 2, "team")


def test_reserved_team_key(seeds):
    _append(seeds, "teams.csv", "unallocated,Nobody,CC-0,,")
    _append(seeds, "team_aliases.csv", "unallocated,unallocated")
    problems = check_configuration(seeds)
    assert any(p.seed == "teams.csv" and "reserved" in p.message for p in problems)


def test_team_without_its_own_alias(seeds):
    _append(seeds, "teams.csv", "robotics,Robotics,CC-9,robotics@example.com,Builds robots")
    problem = _only(check_configuration(seeds))
    assert problem.seed == "team_aliases.csv" and "'robotics' has no alias for its own key" in problem.message


# -- unknown columns ---------------------------------------------------------------------------


def test_rule_seed_with_an_unknown_column(seeds):
    _write_rules(seeds, _rule() + ",x", header=VIRTUAL_TAG_RULES_HEADER.rstrip("\n") + ",sku_patern\n")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.row, problem.line, problem.column) == ("virtual_tag_rules.csv", None, 1, "sku_patern")
    assert "unknown column 'sku_patern'" in problem.message


def test_phase_rules_with_an_unknown_column(seeds):
    path = seeds / "workload_phase_rules.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0] + ",labels_pattern", *(line + "," for line in lines[1:])]) + "\n")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.column) == ("workload_phase_rules.csv", "labels_pattern")


def test_missing_required_column(seeds):
    (seeds / "ancestor_teams.csv").write_text("folder,team,note\nfolders/1,applied-ml,\n")
    problems = check_configuration(seeds)
    assert {(p.seed, p.column) for p in problems} == {
        ("ancestor_teams.csv", "folder"),
        ("ancestor_teams.csv", "ancestor"),
    }


def test_row_with_too_many_fields(seeds):
    _append(seeds, "team_aliases.csv", "fm3,foundation-models,extra")
    problem = _only(check_configuration(seeds))
    assert problem.seed == "team_aliases.csv" and "has 3 fields but the header has 2" in problem.message


def test_missing_seed_file(seeds):
    (seeds / "teams.csv").unlink()
    problems = check_configuration(seeds)
    assert any(p.seed == "teams.csv" and p.message == "file is missing" for p in problems)


# -- shared-cost pool weights ------------------------------------------------------------------

POOLS_HEADER = "pool_id,priority,team,sub_account_pattern,service_pattern,sku_pattern,method,basis_period,note\n"


def _write_pools(seeds: Path, weights: str, method: str = "fixed") -> None:
    (seeds / "shared_cost_pools.csv").write_text(
        POOLS_HEADER + f"support,10,,,support,,{method},month,Support contract\n"
    )
    (seeds / "shared_cost_pool_weights.csv").write_text("pool_id,team,weight\n" + weights)


def test_fixed_weights_summing_to_one_are_valid(seeds):
    _write_pools(
        seeds,
        "support,applied-ml,0.3333333333\nsupport,foundation-models,0.3333333333\nsupport,ml-platform,0.3333333334\n",
    )
    assert check_configuration(seeds) == []
    # Within 1e-9 of 1 is fine (thirds written to ten places).
    _write_pools(
        seeds,
        "support,applied-ml,0.3333333333\nsupport,foundation-models,0.3333333333\nsupport,ml-platform,0.3333333333\n",
    )
    assert check_configuration(seeds) == []


def test_fixed_weights_not_summing_to_one(seeds):
    _write_pools(seeds, "support,applied-ml,0.5\nsupport,foundation-models,0.4\n")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.row, problem.column) == ("shared_cost_pool_weights.csv", 2, "weight")
    assert "sum to 0.9, not 1" in problem.message


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ("support,applied-ml,0\nsupport,foundation-models,1\n", "weight 0 is zero: a fixed weight must be positive"),
        (
            "support,applied-ml,-0.5\nsupport,foundation-models,1.5\n",
            "weight -0.5 is negative: a fixed weight must be positive",
        ),
        # The models keep 9 places: this weight would be 0 to them.
        (
            "support,applied-ml,0.0000000004\nsupport,foundation-models,0.9999999996\n",
            "weight 0.0000000004 rounds to 0 at the 9 decimal places money has in the models",
        ),
    ],
)
def test_fixed_weight_that_is_not_positive(seeds, weights, message):
    _write_pools(seeds, weights)
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.row, problem.column) == ("shared_cost_pool_weights.csv", 1, "weight")
    assert message in problem.message


def test_smallest_positive_fixed_weight_is_valid(seeds):
    _write_pools(seeds, "support,applied-ml,0.000000001\nsupport,foundation-models,0.999999999\n")
    assert check_configuration(seeds) == []


def test_weights_for_an_unknown_pool_or_team_and_a_bad_number(seeds):
    _write_pools(seeds, "support,applied-ml,0.5\nsupport,nobody,0.5\nnetwork,applied-ml,1\nsupport,ml-platform,half\n")
    problems = {(p.row, p.column) for p in check_configuration(seeds)}
    assert problems == {(2, "team"), (3, "pool_id"), (4, "weight")}


def test_weights_on_a_proportional_pool(seeds):
    _write_pools(seeds, "support,applied-ml,0.5\nsupport,foundation-models,\n", method="proportional")
    problem = _only(check_configuration(seeds))
    assert (problem.row, problem.column) == (1, "weight") and "leave the weight empty" in problem.message


def test_fixed_pool_without_weights_and_an_unknown_method(seeds):
    (seeds / "shared_cost_pools.csv").write_text(
        POOLS_HEADER + "support,10,,,support,,fixed,month,\nnet,20,,,networking,,evenly,week,\n"
    )
    (seeds / "shared_cost_pool_weights.csv").write_text("pool_id,team,weight\n")
    problems = {(p.seed, p.row, p.column) for p in check_configuration(seeds)}
    assert problems == {
        ("shared_cost_pools.csv", 1, "method"),
        ("shared_cost_pools.csv", 2, "method"),
        ("shared_cost_pools.csv", 2, "basis_period"),
    }


def test_pool_of_unallocated_costs_is_valid_but_of_an_unknown_team_is_not(seeds):
    (seeds / "shared_cost_pools.csv").write_text(
        POOLS_HEADER + "nobody,10,unallocated,,,,even,month,\nplatform,20,ml-platfrom,,,,even,month,\n"
    )
    (seeds / "shared_cost_pool_weights.csv").write_text("pool_id,team,weight\n")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.row, problem.column) == ("shared_cost_pools.csv", 2, "team")


# -- date ranges and duplicate rule ids --------------------------------------------------------


def test_date_range_splits_of_one_rule_are_valid(seeds):
    # valid_to is exclusive: the handover day belongs to the second row only.
    _write_rules(
        seeds,
        _rule("moved", "10", team="applied-ml", valid_to="2026-08-01"),
        _rule("moved", "10", team="foundation-models", valid_from="2026-08-01"),
    )
    assert check_configuration(seeds) == []


def test_overlapping_date_ranges_of_one_rule(seeds):
    _write_rules(
        seeds,
        _rule("moved", "10", team="applied-ml", valid_from="2026-01-01", valid_to="2026-08-15"),
        _rule("moved", "10", team="foundation-models", valid_from="2026-08-01"),
    )
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.row, problem.column) == ("virtual_tag_rules.csv", 2, "rule_id")
    assert "must not overlap" in problem.message and "row 1" in problem.message


def test_open_range_overlaps_everything(seeds):
    _write_rules(seeds, _rule("moved", "10"), _rule("moved", "10", valid_from="2026-08-01", valid_to="2026-09-01"))
    assert "must not overlap" in _only(check_configuration(seeds)).message


def test_duplicate_rule_id_without_date_ranges(seeds):
    _write_rules(seeds, _rule("r1", "10"), _rule("r1", "10", team="foundation-models"))
    problem = _only(check_configuration(seeds))
    assert problem.row == 2 and "duplicate rule_id 'r1'" in problem.message


def test_duplicate_phase_rule_id(seeds):
    with (seeds / "workload_phase_rules.csv").open() as file:
        first = next(csv.DictReader(file))
    first["priority"] = "999"
    with (seeds / "workload_phase_rules.csv").open("a", newline="") as file:
        csv.DictWriter(file, fieldnames=list(first), lineterminator="\n").writerow(first)
    problem = _only(check_configuration(seeds))
    assert problem.seed == "workload_phase_rules.csv" and "duplicate rule_id" in problem.message


def test_date_range_rows_of_one_rule_with_different_priorities(seeds):
    _write_rules(seeds, _rule("a", "10", valid_to="2026-08-01"), _rule("a", "20", valid_from="2026-08-01"))
    problem = _only(check_configuration(seeds))
    assert (problem.row, problem.column) == (2, "priority")


def test_two_phase_rules_with_one_priority(seeds):
    _append(seeds, "workload_phase_rules.csv", "another-rule,10,,%foo%,,training,clashes with the first rule")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.column) == ("workload_phase_rules.csv", "priority")


def test_valid_from_not_before_valid_to(seeds):
    _write_rules(
        seeds,
        _rule("a", valid_from="2026-09-01", valid_to="2026-08-01"),
        _rule("b", "20", valid_from="2026-08-01", valid_to="2026-08-01"),
    )
    problems = {(p.row, p.column) for p in check_configuration(seeds)}
    assert problems == {(1, "valid_from"), (2, "valid_from")}


def test_label_key_not_normalised_and_value_pattern_without_key(seeds):
    _write_rules(
        seeds, _rule("a", label_key="K8s-Namespace", label_value_pattern="x"), _rule("b", "20", label_value_pattern="x")
    )
    problems = {(p.row, p.column) for p in check_configuration(seeds)}
    assert problems == {(1, "label_key"), (2, "label_key")}


def test_ancestor_that_is_not_a_resource_name(seeds):
    (seeds / "ancestor_teams.csv").write_text(
        "ancestor,team,note\nfolders/1,applied-ml,\n90412,applied-ml,\nfolders/1,web-app,\n"
    )
    problems = {(p.row, p.column) for p in check_configuration(seeds)}
    assert problems == {(2, "ancestor"), (3, "ancestor")}


# -- duplicate aliases -------------------------------------------------------------------------


def test_team_alias_normalising_to_one_meaning_two_teams(seeds):
    _append(seeds, "team_aliases.csv", " FM ,applied-ml")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.column) == ("team_aliases.csv", "alias")
    assert "means team 'applied-ml' here but 'foundation-models'" in problem.message


def test_team_alias_repeated_for_the_same_team(seeds):
    _append(seeds, "team_aliases.csv", "Foundation_Models,foundation-models")
    problem = _only(check_configuration(seeds))
    assert "duplicate alias 'Foundation_Models'" in problem.message


def test_duplicate_tag_key_alias_after_normalisation(seeds):
    _append(seeds, "tag_key_aliases.csv", "Owner-Team,team,99")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.column) == ("tag_key_aliases.csv", "alias")
    assert "duplicate alias='Owner-Team'" in problem.message


# -- unparseable values and empty required fields ----------------------------------------------


def test_unparseable_date_and_number(seeds):
    _write_rules(seeds, _rule("r1", "ten", valid_from="2026-13-01"), _rule("r2", "20", valid_to="01/08/2026"))
    problems = {(p.row, p.column) for p in check_configuration(seeds)}
    assert problems == {(1, "priority"), (1, "valid_from"), (2, "valid_to")}


def test_unparseable_priority_of_a_tag_key_alias(seeds):
    _append(seeds, "tag_key_aliases.csv", "crew,team,high")
    assert "'high' is not a whole number" in _only(check_configuration(seeds)).message


def test_empty_required_field(seeds):
    _append(seeds, "team_aliases.csv", "orphan,")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.column, problem.message) == ("team_aliases.csv", "team", "required value is empty")


def test_rule_setting_nothing(seeds):
    _write_rules(seeds, _rule(team=""))
    assert "neither a team nor a workload_phase" in _only(check_configuration(seeds)).message


# -- values as dbt loads them and the models compare them ----------------------------------------


def test_team_key_with_a_space_around_it(seeds):
    # dbt loads ' robotics' with its space: no alias or rule naming `robotics` would reach it.
    _append(seeds, "teams.csv", "robotics ,Robotics,CC-9,robotics@example.com,Builds robots")
    _append(seeds, "team_aliases.csv", "robotics,robotics")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.column) == ("teams.csv", "team")
    assert "'robotics ' starts or ends with whitespace, which dbt loads as part of the value" in problem.message


def test_alias_with_a_tab_that_sql_trim_keeps(seeds):
    # Spaces around an alias are trimmed by the models (see the ' FM ' test); a tab is not.
    _append(seeds, "team_aliases.csv", "robots\t,applied-ml")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.column) == ("team_aliases.csv", "alias")
    assert "tab, line break or other whitespace that SQL trim() keeps" in problem.message


def test_pool_team_with_a_space_around_it(seeds):
    (seeds / "shared_cost_pools.csv").write_text(POOLS_HEADER + "support,10, ml-platform,,support,,even,month,\n")
    (seeds / "shared_cost_pool_weights.csv").write_text("pool_id,team,weight\n")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.row, problem.column) == ("shared_cost_pools.csv", 1, "team")


def test_pattern_of_only_spaces(seeds):
    # DuckDB would load ' ' as the pattern, which matches nothing: the rule would never apply.
    _append(seeds, "workload_phase_rules.csv", "spaced,999, ,%x%,,training,typo")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.column) == ("workload_phase_rules.csv", "service_pattern")
    assert "is only whitespace" in problem.message


def test_null_as_a_value(seeds):
    _append(seeds, "workload_phase_aliases.csv", "NULL,training")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.column) == ("workload_phase_aliases.csv", "alias")
    assert "loaded as an empty value on BigQuery" in problem.message


def test_aliases_that_sql_lower_makes_equal(seeds):
    # SQL lower('İnference') is 'inference' (str.lower() would give 'i̇nference'): the join on the
    # normalised alias would match this row and `inference` both, and count the cost twice.
    _append(seeds, "team_aliases.csv", "İnference,inference-platform")
    problem = _only(check_configuration(seeds))
    assert "duplicate alias 'İnference' (normalised 'inference')" in problem.message


def test_priorities_equal_as_numbers(seeds):
    _append(seeds, "workload_phase_rules.csv", "padded,010,,%x%,,training,same priority as the first rule")
    problem = _only(check_configuration(seeds))
    assert (problem.seed, problem.column) == ("workload_phase_rules.csv", "priority")
    assert "duplicate priority='010'" in problem.message


def test_numbers_the_warehouse_cannot_load(seeds):
    _append(seeds, "workload_phase_rules.csv", "huge,2147483648,,%x%,,training,too big for INTEGER")
    _write_pools(seeds, "support,applied-ml,0_5\nsupport,foundation-models,٠.٥\n")
    problems = {(p.seed, p.column): p.message for p in check_configuration(seeds)}
    assert "out of range" in problems["workload_phase_rules.csv", "priority"]
    assert {(p.row, p.message) for p in check_configuration(seeds) if p.seed == "shared_cost_pool_weights.csv"} == {
        (1, "'0_5' is not a number"),
        (2, "'٠.٥' is not a number"),
    }


def test_a_line_separator_inside_a_value_does_not_split_the_row(seeds):
    _write_rules(seeds, _rule("r1", "10", team="applied-ml").replace(",why", ",why\u2028and\x0cmore"))
    assert check_configuration(seeds) == []


def test_dbt_accepted_values_on_the_seeds_are_the_checks_own():
    """The seeds' accepted_values tests repeat the configuration check: same lists, so they cannot disagree."""
    accepted = {}
    for path in SEEDS.glob("_*.yml"):
        for seed in yaml.safe_load(path.read_text())["seeds"]:
            for column in seed.get("columns", []):
                for test in column.get("data_tests", []):
                    if isinstance(test, dict) and "accepted_values" in test:
                        accepted[seed["name"], column["name"]] = tuple(test["accepted_values"]["arguments"]["values"])
    assert accepted == {
        ("tag_key_aliases", "canonical_key"): TAG_KEY_CANONICAL_KEYS,
        ("shared_cost_pools", "method"): SPLIT_METHODS,
        ("shared_cost_pools", "basis_period"): BASIS_PERIODS,
    }


# -- all at once, and how they are reported -----------------------------------------------------


def test_all_problems_are_reported_at_once(seeds):
    _append(seeds, "team_aliases.csv", "fm2,foundation-modelz")
    _append(seeds, "tag_key_aliases.csv", "crew,team,high")
    _write_rules(seeds, _rule("r1", "10", team="nobody"))
    _write_pools(seeds, "support,applied-ml,0.5\n")
    problems = check_configuration(seeds)
    assert {p.seed for p in problems} == {
        "team_aliases.csv",
        "tag_key_aliases.csv",
        "virtual_tag_rules.csv",
        "shared_cost_pool_weights.csv",
    }
    with pytest.raises(ConfigurationError) as raised:
        require_valid_configuration(seeds)
    assert raised.value.problems == problems
    assert "4 configuration problems" in str(raised.value)
    assert "seeds/team_aliases.csv, row" in str(raised.value)


def test_problem_text_names_file_row_line_and_column():
    problem = ConfigurationProblem("team_aliases.csv", "unknown team 'x'", row=3, line=4, column="team")
    assert str(problem) == "seeds/team_aliases.csv, row 3 (line 4), column team: unknown team 'x'"


def test_cli_check_config(seeds, capsys):
    from orchestration.cli import main

    assert main(["check-config", "--seeds-dir", str(seeds)]) == 0
    _append(seeds, "team_aliases.csv", "fm2,foundation-modelz")
    assert main(["check-config", "--seeds-dir", str(seeds)]) == 1
    assert "unknown team 'foundation-modelz'" in capsys.readouterr().err


def test_cli_check_config_refuses_a_zero_weight(seeds, capsys):
    from orchestration.cli import main

    _write_pools(seeds, "support,applied-ml,0\nsupport,foundation-models,1\n")
    assert main(["check-config", "--seeds-dir", str(seeds)]) == 1
    err = capsys.readouterr().err
    assert "seeds/shared_cost_pool_weights.csv, row 1 (line 2), column weight: weight 0 is zero" in err


def test_dagster_gate_fails_before_dbt_with_every_problem(seeds):
    import dagster as dg

    from orchestration.transform.configuration_gate import check_configuration_before_dbt

    context = dg.build_asset_context()
    check_configuration_before_dbt(context, seeds)  # valid: no error
    _append(seeds, "team_aliases.csv", "fm2,foundation-modelz")
    _append(seeds, "tag_key_aliases.csv", "crew,team,high")
    with pytest.raises(dg.Failure) as raised:
        check_configuration_before_dbt(context, seeds)
    assert "2 configuration problems" in raised.value.description
    assert raised.value.metadata["problem_count"].value == 2
    assert "foundation-modelz" in raised.value.metadata["problems"].value


def test_dagster_gate_refuses_a_zero_weight_before_dbt(seeds):
    import dagster as dg

    from orchestration.transform.configuration_gate import check_configuration_before_dbt

    _write_pools(seeds, "support,applied-ml,0\nsupport,foundation-models,1\n")
    with pytest.raises(dg.Failure) as raised:
        check_configuration_before_dbt(dg.build_asset_context(), seeds)
    assert "1 configuration problem in the seeds" in raised.value.description
    assert (
        "| shared_cost_pool_weights.csv | 1 | 2 | weight | weight 0 is zero" in raised.value.metadata["problems"].value
    )
