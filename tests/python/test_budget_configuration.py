"""The budgets seed (seeds/budgets.csv) judged with the rest of the configuration: each mistake a
FinOps engineer can make named with its row, column and what was expected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.configuration import check_configuration
from orchestration.settings import PROJECT_ROOT

HEADER = (
    "budget_id,team,workload_phase,provider_name,billing_currency,monthly_amount,"
    "valid_from_month,valid_to_month,owner_contact,note\n"
)


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A private copy of the committed seeds, to break one thing in."""
    return Path(shutil.copytree(PROJECT_ROOT / "seeds", tmp_path / "seeds"))


def _budgets(seeds: Path, *rows: str) -> list[tuple[int | None, str | None, str]]:
    (seeds / "budgets.csv").write_text(HEADER + "".join(row + "\n" for row in rows))
    return [(p.row, p.column, p.message) for p in check_configuration(seeds) if p.seed == "budgets.csv"]


def test_valid_budgets_of_every_shape(seeds):
    assert (
        _budgets(
            seeds,
            "a,applied-ml,,,USD,1000,2026-01,2026-06,ops@example.com,every phase and provider",
            "b,applied-ml,inference,Google Cloud,USD,250.50,2026-01,2026-06,slack://token/channel,",
            "c,applied-ml,,,EUR,0,2026-01,,,a currency of its own",
            "d,applied-ml,,,USD,1200,2026-07,,,the next budget of the same spend",
        )
        == []
    )


def test_unknown_team_phase_and_provider(seeds):
    problems = _budgets(seeds, "a,nobody,trainning,Azure Cloud,USD,10,2026-01,,,")
    assert [(row, column) for row, column, _ in problems] == [
        (1, "team"),
        (1, "workload_phase"),
        (1, "provider_name"),
    ]
    assert "unknown team 'nobody': not in seeds/teams.csv" in problems[0][2]
    assert "not in seeds/service_categories.csv" in problems[2][2]


def test_negative_amount_and_bad_number(seeds):
    problems = _budgets(seeds, "a,applied-ml,,,USD,-5,2026-01,,,", "b,applied-ml,training,,USD,12k,2026-01,,,")
    assert problems == [
        (1, "monthly_amount", "monthly_amount '-5' is negative"),
        (2, "monthly_amount", "'12k' is not a number"),
    ]


def test_overlapping_budgets_of_the_same_spend(seeds):
    problems = _budgets(
        seeds,
        "a,applied-ml,,,USD,10,2026-01,2026-06,,",
        "b,applied-ml,,,USD,10,2026-06,,,",
        "c,applied-ml,training,,USD,10,2026-01,,,a phase of it: not the same spend",
    )
    assert len(problems) == 1
    row, column, message = problems[0]
    assert (row, column) == (2, "valid_from_month")
    assert "budget 'b' overlaps budget 'a' (row 1)" in message


def test_months_currency_contact_and_the_reserved_all(seeds):
    problems = _budgets(
        seeds,
        "a,applied-ml,,,usd,10,2026-1,,,",
        "b,applied-ml,all,,USD,10,2026-05,2026-04,ops at example,",
        "b,applied-ml,training,,USD,10,2026-01,,,",
    )
    assert sorted(problems) == sorted(
        [
            (1, "billing_currency", "billing_currency 'usd' is not an ISO 4217 code (three capital letters)"),
            (1, "valid_from_month", "'2026-1' is not a month (expected YYYY-MM)"),
            (2, "workload_phase", "unknown workload phase 'all': not in seeds/workload_phases.csv"),
            (2, "workload_phase", "leave workload_phase empty for every one ('all' is what the marts write for it)"),
            (
                2,
                "owner_contact",
                "owner_contact 'ops at example' is neither an email address nor a URL (an Apprise target)",
            ),
            (2, "valid_to_month", "valid_to_month '2026-04' is before valid_from_month '2026-05'"),
            (3, "budget_id", "duplicate budget_id='b': already on row 2"),
        ]
    )


def test_a_missing_required_value(seeds):
    assert _budgets(seeds, "a,applied-ml,,,USD,,2026-01,,,") == [(1, "monthly_amount", "required value is empty")]
