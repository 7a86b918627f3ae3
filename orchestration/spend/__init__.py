"""Watching spend, the Python side of models/marts/spend: what the demo and `chargeback report`
print of it (budget_report.py: month-to-date, forecasts and budgets; unit_cost_report.py: unit
costs and the inference share) and how the anomalies score against the generator's incidents
(anomaly_scoring.py)."""

# What a spend series, budget or unit cost writes for every phase, provider or team
# (macros/spend/spend_series.sql: all_value).
ALL = "all"
