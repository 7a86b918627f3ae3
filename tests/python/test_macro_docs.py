"""Every macro of the project is documented with its arguments (macros/*/_*__macros.yml), and
the documented arguments are the macro's own. dbt only warns about a mismatch
(`validate_macro_args`); this test fails on it. A dispatched macro's implementations
(`default__`, `bigquery__`) take its arguments and are documented with it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.environment import PROJECT_ROOT

IMPLEMENTATION = re.compile(r"^(default|bigquery|duckdb)__")


@pytest.fixture(scope="module")
def project_macros(tmp_path_factory) -> list[dict]:
    work = tmp_path_factory.mktemp("macro-docs")
    env = dict(os.environ, CHARGEBACK_DBT_TARGET="duckdb", CHARGEBACK_DUCKDB_PATH=str(work / "w.duckdb"),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    dbt = Path(sys.executable).with_name("dbt")
    parsed = subprocess.run(
        [str(dbt), "parse", "--profiles-dir", ".", "--target-path", str(work / "target"),
         "--log-path", str(work / "logs"), "--no-partial-parse", "--quiet"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    return [macro for macro in manifest["macros"].values()
            if macro["package_name"] == "ai_chargeback" and not IMPLEMENTATION.match(macro["name"])]


def _signature(macro: dict) -> list[str]:
    """The argument names of the macro's Jinja definition, in order."""
    keyword = "test" if macro["name"].startswith("test_") else "macro"
    name = macro["name"].removeprefix("test_") if keyword == "test" else macro["name"]
    match = re.search(rf"{{%-?\s*{keyword}\s+{name}\s*\((.*?)\)\s*-?%}}", macro["macro_sql"], re.S)
    assert match, f"no definition found for {macro['name']}"
    return [part.split("=")[0].strip() for part in match.group(1).split(",") if part.strip()]


def test_the_project_has_macros(project_macros):
    assert {"invoice_month", "fingerprint", "typed_literal", "test_unique_combination"} <= {
        macro["name"] for macro in project_macros}


def test_every_macro_is_documented_with_its_arguments(project_macros):
    problems = []
    for macro in project_macros:
        documented = [argument["name"] for argument in macro["arguments"]]
        if not macro["description"].strip():
            problems.append(f"{macro['name']}: no description")
        if documented != _signature(macro):
            problems.append(f"{macro['name']}: documented {documented}, defined {_signature(macro)}")
        problems += [f"{macro['name']}({argument['name']}): no description or type"
                     for argument in macro["arguments"]
                     if not (argument.get("description") or "").strip() or not argument.get("type")]
    assert not problems, "\n".join(problems)
