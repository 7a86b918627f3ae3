"""The alerts resource: how severe each spend check is, and where notifications go."""

from __future__ import annotations

import os

import dagster as dg

from orchestration.settings import ALERT_SEVERITIES, ALERT_URLS_VARIABLE, Settings


class AlertsResource(dg.ConfigurableResource):
    """Severities come from the settings (CHARGEBACK_ALERT_*_SEVERITY); the targets' URLs are read
    from the variable `urls_variable` names when alerts are sent, so their tokens never appear in
    the run config or the UI."""

    budget_severity: str = "WARN"
    anomaly_severity: str = "WARN"
    urls_variable: str = ALERT_URLS_VARIABLE
    timeout_seconds: float = 30.0
    """Longest a target may take to accept one message; a slower one counts as failed (retried next run)."""

    def severity(self, kind: str) -> dg.AssetCheckSeverity:
        value = {"budget": self.budget_severity, "anomaly": self.anomaly_severity}[kind].upper()
        if value not in ALERT_SEVERITIES:
            raise ValueError(f"the {kind} alert check's severity must be one of {ALERT_SEVERITIES}, got {value!r}")
        return dg.AssetCheckSeverity(value)

    def urls(self) -> str:
        """The targets' Apprise URLs as the environment holds them now ("" when none)."""
        return os.environ.get(self.urls_variable, "")


def alerts_resource(settings: Settings) -> AlertsResource:
    return AlertsResource(
        budget_severity=settings.alert_severities["budget"], anomaly_severity=settings.alert_severities["anomaly"]
    )
