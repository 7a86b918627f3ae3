"""What the marts rely on in an export row's values, beyond their types: the loader refuses a row
that breaks it, so no accepted value can fail or mislead a later build.

- `invoice.month` is a real month, `YYYYMM` (01-12), within the time bounds: the marts make a
  date of it (`2026-13-01` fails every build) and the report's "last complete month" is the
  latest one (a row of 209906 would make that June 2099).
- `usage_start_time`, `usage_end_time` and `export_time` lie within the time bounds: not before
  `CHARGEBACK_INGEST_EARLIEST_DATE` (default 2000-01-01, before any cloud bill), not after now plus
  `CHARGEBACK_INGEST_FUTURE_TOLERANCE_HOURS` (default 24: an export is never from the future; a
  day covers clock skew and any time zone written as UTC by mistake).
- usage ends no earlier than it starts, and a row is exported no earlier than its usage starts
  (an earlier export_time would also place the row in an export day before its usage).
- the amounts the marts charge (`cost`, `cost_at_list`, `credits[].amount`) are below
  MAX_ABS_AMOUNT in magnitude, so that they and their sums fit the marts' DECIMAL(38,9).

One rule set, two renderings: `bad_values_sql` finds offending staged rows in one vectorised
pass (gcp_loader); `value_problem` names the first offending field of one row and what was
expected, for the diagnosis (gcp_diagnostics). The bounds are read from the environment here,
and only here, once per ingestion.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

EARLIEST_DATE_ENV = "CHARGEBACK_INGEST_EARLIEST_DATE"
FUTURE_TOLERANCE_ENV = "CHARGEBACK_INGEST_FUTURE_TOLERANCE_HOURS"
DEFAULT_EARLIEST_DATE = dt.date(2000, 1, 1)
DEFAULT_FUTURE_TOLERANCE_HOURS = 24

# A quadrillion in the row's currency: beyond any real line item (even in IDR or VND), and small
# enough that billions of rows still sum within DECIMAL(38,9)'s 29 integer digits.
MAX_ABS_AMOUNT = 10**15

TIME_FIELDS = ("usage_start_time", "usage_end_time", "export_time")
AMOUNT_FIELDS = ("cost", "cost_at_list")


class BoundsError(ValueError):
    """A CHARGEBACK_INGEST_* variable that is not a date or a number of hours."""


@dataclass(frozen=True)
class ValueBounds:
    """The times an export row may carry, inclusive, as naive UTC."""

    earliest: dt.datetime
    latest: dt.datetime

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, now: dt.datetime | None = None) -> ValueBounds:
        """Bounds from the environment (`env`, default os.environ) around `now` (default: the
        current time; aware, or naive UTC)."""
        env = os.environ if env is None else env
        now = dt.datetime.now(dt.UTC) if now is None else now
        if now.tzinfo is not None:
            now = now.astimezone(dt.UTC).replace(tzinfo=None)
        earliest_text = env.get(EARLIEST_DATE_ENV) or DEFAULT_EARLIEST_DATE.isoformat()
        tolerance_text = env.get(FUTURE_TOLERANCE_ENV) or str(DEFAULT_FUTURE_TOLERANCE_HOURS)
        try:
            earliest = dt.date.fromisoformat(earliest_text)
        except ValueError as exc:
            raise BoundsError(f"{EARLIEST_DATE_ENV}={earliest_text!r}: expected a date, YYYY-MM-DD") from exc
        try:
            tolerance = float(tolerance_text)
        except ValueError as exc:
            raise BoundsError(f"{FUTURE_TOLERANCE_ENV}={tolerance_text!r}: expected a number of hours") from exc
        if not 0 <= tolerance <= 24 * 366:
            raise BoundsError(f"{FUTURE_TOLERANCE_ENV}={tolerance_text!r}: expected 0 to 8784 hours")
        return cls(dt.datetime.combine(earliest, dt.time()), now + dt.timedelta(hours=tolerance))

    @property
    def first_month(self) -> str:
        return f"{self.earliest:%Y%m}"

    @property
    def last_month(self) -> str:
        return f"{self.latest:%Y%m}"

    def describe_times(self) -> str:
        return (
            f"between {self.earliest:%Y-%m-%d %H:%M:%S} and {self.latest:%Y-%m-%d %H:%M:%S} UTC "
            f"({EARLIEST_DATE_ENV}, now + {FUTURE_TOLERANCE_ENV})"
        )


# --------------------------------------------------------------------------- SQL, all rows at once


def bad_values_sql(value: Callable[[str], str], bounds: ValueBounds) -> str:
    """SQL true where a row breaks a rule; `value(path)` is the SQL of a field (`invoice.month`)
    as a canonical value (TIMESTAMP naive UTC, DOUBLE, VARCHAR). Nulls break no rule here: the
    required-field check refuses them."""
    earliest, latest = (f"TIMESTAMP '{t:%Y-%m-%d %H:%M:%S.%f}'" for t in (bounds.earliest, bounds.latest))
    month = value("invoice.month")
    checks = [
        f"NOT regexp_full_match({month}, '[0-9]{{4}}(0[1-9]|1[0-2])')",
        f"{month} NOT BETWEEN '{bounds.first_month}' AND '{bounds.last_month}'",
    ]
    checks += [f"{value(name)} NOT BETWEEN {earliest} AND {latest}" for name in TIME_FIELDS]
    checks += [
        f"{value('usage_end_time')} < {value('usage_start_time')}",
        f"{value('export_time')} < {value('usage_start_time')}",
    ]
    checks += [f"abs({value(name)}) >= {MAX_ABS_AMOUNT}" for name in AMOUNT_FIELDS]
    checks.append(f"list_bool_or(list_transform({value('credits')}, lambda c: abs(c.amount) >= {MAX_ABS_AMOUNT}))")
    return " OR ".join(f"coalesce({check}, false)" for check in checks)


# --------------------------------------------------------------------------- Python, one row


def value_problem(
    values: Mapping[str, Any], bounds: ValueBounds, shown: Mapping[str, Any] | None = None
) -> tuple[str, str] | None:
    """(field, what was expected and what came) of the first rule `values` break, in the order
    bad_values_sql checks them. `values`: `invoice.month` text, the TIME_FIELDS as naive UTC
    datetimes, the AMOUNT_FIELDS and `credits` (a list of {"amount": ...}) as numbers; `shown`:
    the values as written, for the message (default: `values`)."""
    shown = values if shown is None else shown
    month = values.get("invoice.month")
    if month is not None and not (_is_yyyymm(month) and bounds.first_month <= month <= bounds.last_month):
        return "invoice.month", (
            f"expected a month YYYYMM from {bounds.first_month} to {bounds.last_month}, "
            f"got {_show(shown['invoice.month'])}"
        )
    for name in TIME_FIELDS:
        time = values.get(name)
        if time is not None and not bounds.earliest <= time <= bounds.latest:
            return name, f"expected a time {bounds.describe_times()}, got {_show(shown[name])}"
    start, end, export = (values.get(name) for name in TIME_FIELDS)
    if start is not None and end is not None and end < start:
        return "usage_end_time", (
            f"usage cannot end before it starts: {_show(shown['usage_end_time'])} is before "
            f"usage_start_time {_show(shown['usage_start_time'])}"
        )
    if start is not None and export is not None and export < start:
        return "export_time", (
            f"a row cannot be exported before its usage starts: {_show(shown['export_time'])} is before "
            f"usage_start_time {_show(shown['usage_start_time'])}"
        )
    amounts = [(name, values.get(name)) for name in AMOUNT_FIELDS]
    amounts += [(f"credits[{i}].amount", c.get("amount")) for i, c in enumerate(values.get("credits") or [])]
    for name, amount in amounts:
        if amount is not None and abs(float(amount)) >= MAX_ABS_AMOUNT:
            return name, f"expected an amount below {MAX_ABS_AMOUNT:,} in magnitude, got {_show(amount)}"
    return None


def _show(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _is_yyyymm(text: Any) -> bool:
    return isinstance(text, str) and len(text) == 6 and text.isascii() and text.isdigit() and 1 <= int(text[4:]) <= 12


def utc_from_epoch_us(micros: int) -> dt.datetime:
    """Naive UTC of epoch microseconds, clamped to Python's range (years 1-9999): a time beyond
    it is out of any bounds anyway."""
    try:
        return _EPOCH + dt.timedelta(microseconds=micros)
    except OverflowError:
        return dt.datetime.max if micros > 0 else dt.datetime.min


_EPOCH = dt.datetime(1970, 1, 1)
