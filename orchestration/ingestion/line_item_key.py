"""The fields that identify an export row, in one place.

The staging model hashes them into `line_item_id` (macros/attribution/line_item_key.sql), the
generator writes the same text for its ground truth (generate/gcp/ground_truth.py), and the loader
refuses an extract holding two rows alike in all of them: their ids would collide and fail every
later build's unique test. tests/python/test_line_item_key_parity.py holds the staging model's
list to this one and runs the three renderings on the same hostile rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

TEXT, TIMESTAMP, NUMBER = "text", "timestamp", "number"

# (dotted field path, how the key writes it): text as it is, a timestamp as epoch microseconds,
# a number with nine decimals; a null as ''. Joined with '|'.
LINE_ITEM_KEY_FIELDS: tuple[tuple[str, str], ...] = (
    ("billing_account_id", TEXT),
    ("service.id", TEXT),
    ("sku.id", TEXT),
    ("project.id", TEXT),
    ("resource.global_name", TEXT),
    ("location.location", TEXT),
    ("usage_start_time", TIMESTAMP),
    ("usage_end_time", TIMESTAMP),
    ("export_time", TIMESTAMP),
    ("cost_type", TEXT),
    ("adjustment_info.id", TEXT),
    ("cost", NUMBER),
    ("usage.amount", NUMBER),
)


def line_item_key_sql(field_sql: Callable[[str], str]) -> str:
    """DuckDB SQL of the key text, as the staging model renders it on DuckDB (`field_sql` turns a
    dotted path into SQL over the raw table's nested columns)."""
    written = {
        TEXT: "cast({} as varchar)",
        TIMESTAMP: "cast(epoch_us({}) as varchar)",
        NUMBER: "printf('%.9f', {})",
    }
    parts = [f"coalesce({written[kind].format(field_sql(path))}, '')" for path, kind in LINE_ITEM_KEY_FIELDS]
    return "concat(" + ", '|', ".join(parts) + ")"


def line_item_key_string(row: dict) -> str:
    """The key text of an export row as JSON holds it (the md5 of it is the row's `line_item_id`)."""
    values = [(_value(row, path), kind) for path, kind in LINE_ITEM_KEY_FIELDS]
    return "|".join("" if value is None else _KEY_TEXT[kind](value) for value, kind in values)


def _value(row: dict, path: str) -> Any:
    """The value at a dotted `path` of a row; None when a record on the way is absent or null."""
    value: Any = row
    for name in path.split("."):
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _timestamp_text(value: Any) -> str:
    """A timestamp (a datetime, or text as BigQuery or ISO write it) as epoch microseconds."""
    if not isinstance(value, datetime):
        text = str(value).strip().removesuffix(" UTC").removesuffix("Z")
        value = datetime.fromisoformat(text.replace(" ", "T", 1))
    # No offset means UTC, as BigQuery writes it; another offset is converted, as the warehouse does.
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return str((value - _EPOCH) // _MICROSECOND)


def _number_text(value: Any) -> str:
    """A number with nine decimals (NUMERIC-like strings exactly, via Decimal)."""
    return f"{Decimal(value) if isinstance(value, str) else value:.9f}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_KEY_TEXT: dict[str, Callable[[Any], str]] = {TEXT: str, TIMESTAMP: _timestamp_text, NUMBER: _number_text}
