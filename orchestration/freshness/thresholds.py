"""The freshness rules of the GCP export, from the dbt source as dbt resolved it: its freshness
block (warn / error lags) and, in its `meta`, the two rules only the Dagster checks apply (how far
in the future an export_time may be, and the window in which missing days are looked for)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

SOURCE_YAML = "models/staging/gcp_billing_export/_gcp_billing_export__sources.yml"

# Used only when the dbt source has no freshness block (the sources YAML says why these).
DEFAULT_WARN_AFTER = timedelta(hours=36)
DEFAULT_ERROR_AFTER = timedelta(hours=72)

# The keys of the source's `meta` (under `config:`) read here; the YAML is their one home.
FUTURE_TOLERANCE_KEY = "freshness_future_tolerance"
GAP_WINDOW_KEY = "freshness_gap_window"

_PERIODS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class FreshnessThresholds:
    warn_after: timedelta
    error_after: timedelta
    future_tolerance: timedelta
    """An export_time up to this far after now is clock skew; further is an error."""
    gap_window: timedelta
    """The recent whole days (today included) in which a day without export rows is reported."""

    def __post_init__(self) -> None:
        if self.warn_after <= timedelta(0) or self.error_after < self.warn_after:
            raise ValueError(
                f"freshness thresholds need 0 < warn_after <= error_after, got {self.warn_after} and {self.error_after}"
            )
        if self.future_tolerance < timedelta(0):
            raise ValueError(f"{FUTURE_TOLERANCE_KEY} must not be negative, got {self.future_tolerance}")
        if self.gap_window < timedelta(days=1) or self.gap_window % timedelta(days=1):
            raise ValueError(f"{GAP_WINDOW_KEY} must be a whole number of days, at least one, got {self.gap_window}")

    @property
    def gap_window_days(self) -> int:
        return self.gap_window.days

    def gap_window_at(self, now: datetime) -> tuple[date, date]:
        """The first and the last UTC day of the gap window at `now` (the last is today)."""
        today = now.astimezone(UTC).date()
        return today - timedelta(days=self.gap_window_days - 1), today


def _period(criterion: Mapping[str, Any] | None, where: str) -> timedelta | None:
    """A dbt `{count: N, period: hour}` as a timedelta (None when dbt leaves it unset)."""
    if not criterion or criterion.get("count") is None:
        return None
    period = criterion.get("period")
    if period not in _PERIODS:
        raise ValueError(f"{where}: freshness period must be one of {sorted(_PERIODS)}, got {period!r}")
    return int(criterion["count"]) * _PERIODS[period]


def thresholds_from_source(source: Mapping[str, Any]) -> FreshnessThresholds:
    """The freshness rules of a manifest source node: its freshness block and its meta."""
    where = f"dbt source {source.get('unique_id', 'gcp_billing_export.detailed_usage_cost')} ({SOURCE_YAML})"
    freshness = source.get("freshness") or source.get("config", {}).get("freshness") or {}
    warn = _period(freshness.get("warn_after"), f"{where} warn_after")
    error = _period(freshness.get("error_after"), f"{where} error_after")
    # A block with one level still alerts: only error_after means no warning stage (warn at the
    # same lag, as dbt goes straight to error); only warn_after escalates to ERROR at the later
    # of 72 h and warn_after (dbt would never error; a stall must end as an error here).
    warn = warn or error or DEFAULT_WARN_AFTER
    error = error or max(warn, DEFAULT_ERROR_AFTER)
    meta = source.get("config", {}).get("meta") or source.get("meta") or {}
    rules = {}
    for key in (FUTURE_TOLERANCE_KEY, GAP_WINDOW_KEY):
        rules[key] = _period(meta.get(key), f"{where} meta {key}")
        if rules[key] is None:
            raise ValueError(f"{where}: meta needs {key}: {{count: N, period: hour|day}} (under config:)")
    return FreshnessThresholds(
        warn_after=warn,
        error_after=error,
        future_tolerance=rules[FUTURE_TOLERANCE_KEY],
        gap_window=rules[GAP_WINDOW_KEY],
    )
