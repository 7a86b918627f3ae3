"""The configuration check normalises seeds as the models normalise labels.

The three macros of macros/attribution/normalize.sql are rendered with Jinja from the file
itself and run in DuckDB over hostile strings (whitespace that SQL trim() and str.strip() treat
differently, case mappings that SQL lower() and str.lower() treat differently, '-' '_' and ' '
in every order), over every Unicode code point alone, and over generated text; the Python twins
in orchestration/configuration/normalisation.py must give the same result for every string.
"""

from __future__ import annotations

import duckdb
import jinja2
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.configuration.normalisation import (
    normalize_phase_value,
    normalize_tag_key,
    normalize_team_value,
)
from orchestration.settings import PROJECT_ROOT

PYTHON_TWINS = {
    "normalize_tag_key": normalize_tag_key,
    "normalize_team_value": normalize_team_value,
    "normalize_phase_value": normalize_phase_value,
}

HOSTILE = [
    # whitespace: SQL trim() removes the space separators only, str.strip() all whitespace
    " team ",
    "\tteam\t",
    "team\n",
    "\r\nteam\r\n",
    "\x0bteam\x0c",
    "\x1cteam\x1f",
    "\x85team",
    "\u2028team\u2029",
    "\u00a0team\u00a0",
    "\u2003team\u3000",
    "\u1680team\u202f",
    "\u200bteam",
    "\ufeffteam",
    " \t team \t ",
    "\t",
    " ",
    "",
    "\u00a0",
    # case: SQL lower() maps each character alone, str.lower() uses full and contextual mappings
    "İnference",
    "TRAİNİNG",
    "İ",
    "ΣΟΦΙΑΣ",
    "ΟΔΥΣΣΕΥΣ ΤΕΑΜ",
    "Σ",
    "ẞ",
    "Straße",
    "Ǆ",
    "ǅ",
    "\u212a8s",
    "\u212bngstrom",
    "ﬁne-tuning",
    "I",
    "ı",
    "Ω",
    "e\u0301",
    "ＴＥＡＭ",
    # separators in every order
    "Foundation_Models ",
    "owner-team",
    "Owner Team",
    "a_-_b",
    " - ",
    "--",
    "__",
    "- _",
    "a - b",
    "_-",
    "Fine-Tuning",
    " Owner-Team_Name ",
]


@pytest.fixture(scope="module")
def macros():
    """The macros of macros/attribution/normalize.sql, rendered by plain Jinja."""
    source = (PROJECT_ROOT / "macros" / "attribution" / "normalize.sql").read_text()
    module = jinja2.Environment().from_string(source).module
    return {name: getattr(module, name) for name in PYTHON_TWINS}


@pytest.fixture(scope="module")
def warehouse():
    connection = duckdb.connect()
    connection.execute("set enable_progress_bar = false")
    yield connection
    connection.close()


def sql_results(warehouse, macros, strings: list[str]) -> dict[str, list[str]]:
    """Each macro's SQL over `strings`, in their order."""
    warehouse.register("strings", pa.table({"position": list(range(len(strings))), "value": strings}))
    try:
        columns = ", ".join(f"{str(macro('value')).strip()} as {name}" for name, macro in macros.items())
        rows = warehouse.execute(f"select {columns} from strings order by position").fetchall()
    finally:
        warehouse.unregister("strings")
    return {name: [row[index] for row in rows] for index, name in enumerate(macros)}


def disagreements(warehouse, macros, strings: list[str]) -> list[str]:
    found = []
    for name, results in sql_results(warehouse, macros, strings).items():
        for value, sql in zip(strings, results, strict=True):
            python = PYTHON_TWINS[name](value)
            if python != sql:
                found.append(f"{name}({value!r}): SQL {sql!r}, Python {python!r}")
    return found


def test_the_macros_render_to_sql(macros):
    # The test runs the macros' own SQL, not a copy: a change to the file reaches it.
    assert str(macros["normalize_team_value"]("x")).strip() == "replace(lower(trim(x)), '_', '-')"


def test_hostile_strings(warehouse, macros):
    assert disagreements(warehouse, macros, HOSTILE) == []


def test_every_code_point_alone(warehouse, macros):
    characters = [chr(code) for code in range(1, 0x110000) if not 0xD800 <= code <= 0xDFFF]
    found = disagreements(warehouse, macros, characters)
    assert found == [], f"{len(found)} disagreements, e.g. {found[:10]}"


# Characters where the two sides are most likely to part, mixed into any other text.
_TRICKY = st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x85\u00a0\u2003\u2028\u3000-_İΣσςẞßǅKı"))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(st.one_of(_TRICKY, st.characters(codec="utf-8", exclude_characters="\x00")), max_size=12),
        min_size=1,
        max_size=40,
    )
)
def test_generated_text(warehouse, macros, strings):
    assert disagreements(warehouse, macros, strings) == []
