"""Watching spend: forecasts, budgets, anomalies (issue 11)."""
