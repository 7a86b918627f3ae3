"""The Python twins of the dbt macros in macros/attribution/normalize.sql.

The models normalise label keys and values before matching them against the alias seeds; the
configuration check normalises the seeds the same way, to find aliases that would collide and
keys that would never match. tests/python/test_normalisation_parity.py runs the macros and these
functions over the same strings: they must agree.
"""

from __future__ import annotations


def normalize_team_value(value: str) -> str:
    return value.strip().lower().replace("_", "-")


def normalize_tag_key(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def normalize_phase_value(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")
