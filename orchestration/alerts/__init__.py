"""Spend alerts: budgets at risk or over and new cost anomalies, as Dagster asset checks on the
marts (checks.py) and as notifications through Apprise once each (assets.py, delivery.py), with a
ledger of what was sent in the warehouse (ledger.py). docs/alerts.md says how to configure them.
"""
