"""The freshness thresholds of the GCP export: the dbt source's freshness block, as dbt resolved it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

SOURCE_YAML = "models/staging/gcp_billing_export/_gcp_billing_export__sources.yml"

# Used only when the dbt source has no freshness block (the sources YAML says why these).
DEFAULT_WARN_AFTER = timedelta(hours=36)
DEFAULT_ERROR_AFTER = timedelta(hours=72)

_PERIODS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class FreshnessThresholds:
    warn_after: timedelta
    error_after: timedelta

    def __post_init__(self) -> None:
        if self.warn_after <= timedelta(0) or self.error_after < self.warn_after:
            raise ValueError(
                f"freshness thresholds need 0 < warn_after <= error_after, got {self.warn_after} and {self.error_after}"
            )


def _period(criterion: Mapping[str, Any] | None, where: str) -> timedelta | None:
    """A dbt `{count: N, period: hour}` as a timedelta (None when dbt leaves it unset)."""
    if not criterion or criterion.get("count") is None:
        return None
    period = criterion.get("period")
    if period not in _PERIODS:
        raise ValueError(f"{where}: freshness period must be one of {sorted(_PERIODS)}, got {period!r}")
    return int(criterion["count"]) * _PERIODS[period]


def thresholds_from_source(source: Mapping[str, Any]) -> FreshnessThresholds:
    """The warn/error lags of a manifest source node's freshness block."""
    where = f"dbt source {source.get('unique_id', 'gcp_billing_export.detailed_usage_cost')} ({SOURCE_YAML})"
    freshness = source.get("freshness") or source.get("config", {}).get("freshness") or {}
    warn = _period(freshness.get("warn_after"), f"{where} warn_after")
    error = _period(freshness.get("error_after"), f"{where} error_after")
    # A block with one level still alerts: only error_after means no warning stage (warn at the
    # same lag, as dbt goes straight to error); only warn_after escalates to ERROR at the later
    # of 72 h and warn_after (dbt would never error; a stall must end as an error here).
    warn = warn or error or DEFAULT_WARN_AFTER
    error = error or max(warn, DEFAULT_ERROR_AFTER)
    return FreshnessThresholds(warn_after=warn, error_after=error)
