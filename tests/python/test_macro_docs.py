"""Every macro of the project is documented with its arguments (macros/*/_*__macros.yml), and
the documented arguments are the macro's own. dbt only warns about a mismatch
(`validate_macro_args`); this test fails on it. A dispatched macro's implementations
(`default__`, `bigquery__`) take its arguments and are documented with it.
"""

from __future__ import annotations

import json
import re

import pytest

from orchestration.settings import Settings
from orchestration.transform.project import chargeback_dbt_project

IMPLEMENTATION = re.compile(r"^(default|bigquery|duckdb)__")


@pytest.fixture(scope="module")
def project_macros() -> list[dict]:
    """The project's macros as dbt parsed them (the manifest the test session prepared)."""
    manifest = json.loads(chargeback_dbt_project(Settings.from_env()).manifest_path.read_text())
    return [
        macro
        for macro in manifest["macros"].values()
        if macro["package_name"] == "ai_chargeback" and not IMPLEMENTATION.match(macro["name"])
    ]


def _signature(macro: dict) -> list[str]:
    """The argument names of the macro's Jinja definition, in order."""
    keyword = "test" if macro["name"].startswith("test_") else "macro"
    name = macro["name"].removeprefix("test_") if keyword == "test" else macro["name"]
    match = re.search(rf"{{%-?\s*{keyword}\s+{name}\s*\((.*?)\)\s*-?%}}", macro["macro_sql"], re.S)
    assert match, f"no definition found for {macro['name']}"
    return [part.split("=")[0].strip() for part in match.group(1).split(",") if part.strip()]


def test_the_project_has_macros(project_macros):
    assert {"invoice_month", "fingerprint", "typed_literal", "test_unique_combination"} <= {
        macro["name"] for macro in project_macros
    }


def test_every_macro_is_documented_with_its_arguments(project_macros):
    problems = []
    for macro in project_macros:
        documented = [argument["name"] for argument in macro["arguments"]]
        if not macro["description"].strip():
            problems.append(f"{macro['name']}: no description")
        if documented != _signature(macro):
            problems.append(f"{macro['name']}: documented {documented}, defined {_signature(macro)}")
        problems += [
            f"{macro['name']}({argument['name']}): no description or type"
            for argument in macro["arguments"]
            if not (argument.get("description") or "").strip() or not argument.get("type")
        ]
    assert not problems, "\n".join(problems)
