"""The Python twins of the dbt macros in macros/attribution/normalize.sql.

The models normalise label keys and values before matching them against the alias seeds; the
configuration check normalises the seeds the same way, to find aliases that would collide and
keys that would never match. The macros are plain SQL (`trim`, `lower`, `replace`), and these
functions do what those SQL functions do on DuckDB, which differ from Python's `str.strip` and
`str.lower` on hostile text. tests/python/test_normalisation_parity.py runs the macros in DuckDB
and these functions over the same strings: they must agree.
"""

from __future__ import annotations

# What SQL trim() removes from both ends: the Unicode space separators (category Zs), and
# nothing else. Tabs, line breaks, U+0085 and the information separators U+001C-U+001F, which
# str.strip() removes too, stay.
SQL_TRIMMED = "\u0020\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"

# SQL lower() maps each character alone (Unicode's simple case mapping), where str.lower() uses
# the full mapping: 'İ' becomes 'i', not 'i' and a combining dot, and 'Σ' always becomes 'σ',
# never the final 'ς' at the end of a word. 'İ' is the one character whose full mapping is
# longer than one character.
_SIMPLE_LOWERCASE = {"\u0130": "i"}


def sql_trim(value: str) -> str:
    return value.strip(SQL_TRIMMED)


def sql_lower(value: str) -> str:
    return "".join(_SIMPLE_LOWERCASE.get(character) or character.lower() for character in value)


def normalize_team_value(value: str) -> str:
    """`Foundation_Models ` → `foundation-models`, as the macro normalize_team_value."""
    return sql_lower(sql_trim(value)).replace("_", "-")


def normalize_tag_key(value: str) -> str:
    """`Owner-Team` → `owner_team`, as the macro normalize_tag_key."""
    return sql_lower(sql_trim(value)).replace("-", "_").replace(" ", "_")


def normalize_phase_value(value: str) -> str:
    """`Fine-Tuning` → `fine_tuning`, as the macro normalize_phase_value."""
    return sql_lower(sql_trim(value)).replace("-", "_").replace(" ", "_")
