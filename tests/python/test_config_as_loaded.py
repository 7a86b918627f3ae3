"""The configuration check judges the seeds as dbt loads them, not as another CSV reader would.

Each hostile edit of a seed (whitespace around a key, a line ending differing from the others, a
quoted value with the delimiter, stray quotes, a zero or non-numeric weight, a header name with
a space) is either refused by `check_configuration`, naming the file and the row or line (and the
column where there is one), or accepted; the accepted ones are then built for real: one dbt build
of a copy of the project with all of them, on a small generated export, loads every seed exactly
as the check read it and puts the money where the edited rules say.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.configuration import ConfigurationProblem, check_configuration
from orchestration.configuration.loading import load_seed, seed_column_types
from orchestration.generate.gcp import generate_gcp_export
from orchestration.settings import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "seeds"
SANDBOX = "ai-sandbox-4471"


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SEEDS, tmp_path / "seeds"))


def _edit(seeds: Path, name: str, old: str, new: str, count: int = 1) -> None:
    path = seeds / name
    text = path.read_bytes().decode()
    assert text.count(old) >= count, f"{name} no longer contains {old!r}: update the test"
    path.write_bytes(text.replace(old, new, count).encode())


def _problems(seeds: Path) -> list[ConfigurationProblem]:
    problems = check_configuration(seeds)
    assert problems, "the edit was accepted"
    return problems


def _one(problems: list[ConfigurationProblem], seed: str) -> ConfigurationProblem:
    mine = [problem for problem in problems if problem.seed == seed]
    assert len(mine) == 1, [str(problem) for problem in problems]
    return mine[0]


# ------------------------------------------------------------------------------------ refused
@pytest.mark.parametrize("padded", [f"{SANDBOX} ", f" {SANDBOX}", f"{SANDBOX}\t", f'" {SANDBOX}"'])
def test_whitespace_around_a_rule_pattern_is_refused_on_each_row(seeds, padded):
    # Unrefused, the rule matches no project and the sandbox's cost falls to `unallocated`.
    _edit(seeds, "virtual_tag_rules.csv", f",{SANDBOX},", f",{padded},", count=2)
    problems = check_configuration(seeds)
    assert [(p.seed, p.row, p.line, p.column) for p in problems] == [
        ("virtual_tag_rules.csv", 1, 2, "sub_account_pattern"),
        ("virtual_tag_rules.csv", 2, 3, "sub_account_pattern"),
    ]
    assert "whitespace" in problems[0].message


def test_whitespace_around_a_team_key_is_refused(seeds):
    _edit(seeds, "shared_cost_pool_weights.csv", "account-charges,web-app,", "account-charges,web-app ,")
    problem = _one(check_configuration(seeds), "shared_cost_pool_weights.csv")
    assert (problem.row, problem.column) == (9, "team") and "whitespace" in problem.message


def test_a_header_name_with_a_space_is_refused(seeds):
    # dbt names the column ' team', and every model reading `team` fails.
    _edit(seeds, "teams.csv", "team,team_name,", " team,team_name,")
    problem = _one(_problems(seeds), "teams.csv")
    assert (problem.line, problem.column) == (1, "team") and "missing from the header" in problem.message


def test_one_crlf_line_in_a_lf_file_is_refused_with_its_line(seeds):
    # DuckDB's CSV reader takes one line ending per file: the build would stop at the seed.
    _edit(seeds, "teams.csv", "runs experiments\n", "runs experiments\r\n")
    problems = _problems(seeds)
    # One problem: the rows naming teams are not judged against a directory dbt cannot load.
    assert len(problems) == 1, [str(problem) for problem in problems]
    assert (problems[0].seed, problems[0].row, problems[0].line) == ("teams.csv", 2, 3)
    assert "line 3 ends with CRLF but line 1 with LF" in problems[0].message


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ('"Applied" ML', "quote"),  # text after a closing quote
        ('"Applied \\" ML"', "quote"),  # a backslash is no escape: the quote ends the value
        ('"Applied ML', "quote"),  # never closed
    ],
)
def test_a_stray_quote_is_refused_with_its_line(seeds, value, why):
    _edit(seeds, "teams.csv", ",Applied ML,", f",{value},")
    problem = _one(_problems(seeds), "teams.csv")
    assert (problem.row, problem.line) == (2, 3) and why in problem.message


def test_an_unquoted_delimiter_in_a_value_is_refused_with_its_line(seeds):
    _edit(seeds, "team_aliases.csv", "foundation models,foundation-models", "foundation, models,foundation-models")
    problem = _one(_problems(seeds), "team_aliases.csv")
    assert (problem.row, problem.line) == (2, 3) and "has 3 fields but the header has 2" in problem.message


def test_a_row_of_empty_fields_is_a_row(seeds):
    # dbt loads `,` as a row of NULLs (the not_null tests fail on it): it is no blank line.
    (seeds / "team_aliases.csv").write_text((seeds / "team_aliases.csv").read_text() + ",\n")
    problems = _problems(seeds)
    assert {(p.seed, p.row, p.column) for p in problems} == {
        ("team_aliases.csv", 31, "alias"),
        ("team_aliases.csv", 31, "team"),
    }


@pytest.mark.parametrize(
    ("weight", "what"), [("0", "is zero"), ("0.0000000001", "rounds to 0"), ("abc", "not a number")]
)
def test_a_zero_or_non_numeric_weight_is_refused(seeds, weight, what):
    # A zero weight lists a team that gets nothing: refused here and by dbt's positive_money test.
    _edit(seeds, "shared_cost_pool_weights.csv", "account-charges,web-app,0.05", f"account-charges,web-app,{weight}")
    _edit(seeds, "shared_cost_pool_weights.csv", "account-charges,analytics,0.05", "account-charges,analytics,0.10")
    problem = _one(_problems(seeds), "shared_cost_pool_weights.csv")
    assert (problem.row, problem.line, problem.column) == (9, 10, "weight") and what in problem.message


# ------------------------------------------------------------------------ accepted, then built
def _accepted_edits(seeds: Path) -> None:
    """Edits the check accepts: each reads back the value a careful reader would expect."""
    # The whole file in CRLF: one line ending throughout is fine.
    rules = seeds / "virtual_tag_rules.csv"
    rules.write_bytes(rules.read_bytes().replace(b"\n", b"\r\n"))
    # The sandbox's rule quoted, and handed to another team from June 2026 (the export is later).
    _edit(seeds, "virtual_tag_rules.csv", f",{SANDBOX},,,,,,applied-ml,", f',"{SANDBOX}",,,,,,web-app,')
    # A quoted value holding the delimiter, and a doubled quote inside a quoted value.
    _edit(seeds, "teams.csv", ",Applied ML,", ',"Applied ML, the product ""fine-tuners""",')
    _edit(
        seeds,
        "team_aliases.csv",
        "foundation models,foundation-models",
        '"foundation models, research",foundation-models',
    )
    # A quote inside an unquoted value is a character.
    _edit(seeds, "teams.csv", ",Web Application,", ',Web "Application",')


def test_the_accepted_edits_are_read_as_written(seeds):
    _accepted_edits(seeds)
    assert check_configuration(seeds) == []
    types = seed_column_types(seeds)
    teams = {values["team"]: values for _, values in load_seed(seeds / "teams.csv", types["teams"]).rows}
    assert teams["applied-ml"]["team_name"] == 'Applied ML, the product "fine-tuners"'
    assert teams["web-app"]["team_name"] == 'Web "Application"'
    rules = load_seed(seeds / "virtual_tag_rules.csv", types["virtual_tag_rules"]).rows
    assert [(line, values["sub_account_pattern"], values["team"]) for line, values in rules[:2]] == [
        (2, SANDBOX, "foundation-models"),
        (3, SANDBOX, "web-app"),
    ]


@pytest.fixture(scope="module")
def built_with_accepted_edits(tmp_path_factory, ingest):
    """A copy of the project with the accepted edits, built by dbt on one generated month."""
    root = tmp_path_factory.mktemp("config-as-loaded")
    project = root / "project"
    (project / "tests").mkdir(parents=True)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_ROOT / name, project / name)
    for name in ("models", "seeds", "macros", "tests/dbt"):
        shutil.copytree(PROJECT_ROOT / name, project / name)
    _accepted_edits(project / "seeds")
    problems = check_configuration(project / "seeds")
    db = root / "warehouse.duckdb"
    generate_gcp_export(root / "export", rows=3000, seed=5, months=1)
    ingest(db, [root / "export"])
    env = {**os.environ, "CHARGEBACK_DUCKDB_PATH": str(db)}
    dbt = Path(sys.executable).parent / "dbt"
    build = subprocess.run(
        [str(dbt), "build", "--project-dir", str(project), "--profiles-dir", str(project), "--target", "duckdb"],
        env=env,
        capture_output=True,
        text=True,
        cwd=project,
    )
    return project / "seeds", problems, build, db


def test_accepted_edits_build_and_load_as_the_check_read_them(built_with_accepted_edits, working_copy):
    seeds, problems, build, db = built_with_accepted_edits
    assert problems == []
    assert build.returncode == 0, build.stdout[-4000:]
    types = seed_column_types(seeds)
    with duckdb.connect(str(working_copy(db)), read_only=True) as con:
        for path in sorted(seeds.glob("*.csv")):
            name = path.stem
            read = [values for _, values in load_seed(path, types[name]).rows]
            columns = list(read[0])
            select = ", ".join(f'cast("{column}" as varchar)' for column in columns)
            loaded = con.execute(f"select {select} from seeds.{name}").fetchall()
            assert sorted(map(repr, (tuple(row.values()) for row in read))) == sorted(map(repr, loaded)), name


def test_the_money_goes_where_the_edited_rule_says(built_with_accepted_edits, working_copy):
    _, _, build, db = built_with_accepted_edits
    assert build.returncode == 0
    with duckdb.connect(str(working_copy(db)), read_only=True) as con:
        owners = con.execute(
            "select team, allocation_method, count(*) from marts.fct_cost_line_items "
            "where sub_account_id = ? group by all",
            [SANDBOX],
        ).fetchall()
    assert len(owners) == 1 and owners[0][:2] == ("web-app", "rule:ai-sandbox-owner") and owners[0][2] > 0


# ------------------------------------------------------------------------------- column types
# Seed column types both warehouses' seed loaders take: DuckDB's CREATE TABLE and BigQuery's load
# job schema (dbt-bigquery passes the name as the field type).
PORTABLE_TYPES = {"string", "integer", "date", "boolean"}


def test_every_checked_column_is_loaded_with_an_explicit_portable_type():
    from orchestration.configuration import SEED_SPECS

    types = seed_column_types(SEEDS)
    for spec in SEED_SPECS:
        declared = types[spec.file.removesuffix(".csv")]
        assert list(declared) == list(spec.columns), spec.file
        assert set(declared.values()) <= PORTABLE_TYPES, spec.file
