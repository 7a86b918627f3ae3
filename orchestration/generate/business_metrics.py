"""The business's unit metrics that match a generated export: one CSV file, as a product team
would drop it in the metrics folder (docs/loading.md, "Business metrics").

- `requests_served` for every team that serves inference: the team's expected inference cost of
  the day (from the same company, templates and day weights the export's rows are drawn from)
  times a requests-per-currency-unit of the team's own, with a few percent of daily noise. So
  requests follow inference cost, and the cost per thousand requests is steady per team.
- `documents_processed` for teams that prepare data, following their data preparation cost.
- `active_users` for the customer-facing web application: no cost behind it, a weekly rhythm.

Written beside the export (OUT/business_metrics/business_metrics.csv); the export loader reads
only export files, so it never sees this one.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from orchestration.generate.gcp.company import Company
from orchestration.generate.gcp.export import _USAGE_ROWS_PER_HOUR_PER_SCALE
from orchestration.generate.gcp.timeline import pacific_midnight_us, utc_day_weights

METRICS_FILE = Path("business_metrics") / "business_metrics.csv"
# (metric, the phase whose cost it follows, units per currency unit of that cost: low, high)
COST_DRIVEN_METRICS = (
    ("requests_served", "inference", 1500.0, 6000.0),
    ("documents_processed", "data_preparation", 20.0, 80.0),
)
WEB_APP_TEAM = "web-app"


def write_business_metrics(out_dir: Path, rows: int, seed: int, start: date, end: date) -> Path:
    """Write OUT/business_metrics/business_metrics.csv for the export of `rows` rows and `seed`
    whose usage runs from `start` to `end` (exclusive; its summary's usage_start and the day after
    its usage_end); return its path."""
    n_days = (end - start).days
    # The company the export is drawn from (same seed and scale, its own RNG).
    scale = max(1, int(round(rows / n_days / (24 * _USAGE_ROWS_PER_HOUR_PER_SCALE))))
    company = Company(seed, scale)
    total_weight = sum(t.weight for t in company.templates)
    # Expected cost per drawn row, per (team, phase): the share of the rows each template gets
    # times the cost of its typical hour.
    cost_per_row: dict[tuple[str, str], float] = defaultdict(float)
    for template in company.templates:
        cost_per_row[(template.team, template.phase)] += template.weighted_cost() / total_weight
    days, weights = utc_day_weights(pacific_midnight_us(start), pacific_midnight_us(end))
    rows_per_weight = rows / sum(weights)
    rng = random.Random(seed * 104729 + 3)
    records: list[tuple[str, str, str, str]] = []
    for metric, phase, low, high in COST_DRIVEN_METRICS:
        teams = sorted(team for (team, p), cost in cost_per_row.items() if p == phase and cost > 0 and team != "shared")
        for team in teams:
            units_per_cost = rng.uniform(low, high)
            for day, weight in zip(days, weights, strict=True):
                if not start <= day < end:
                    continue
                expected_cost = cost_per_row[(team, phase)] * weight * rows_per_weight
                value = expected_cost * units_per_cost * rng.uniform(0.95, 1.05)
                records.append((day.isoformat(), team, metric, str(int(round(value)))))
    base_users = 40_000 + rng.randrange(20_000)
    day = start
    while day < end:
        weekend = 0.7 if day.weekday() >= 5 else 1.0
        records.append(
            (day.isoformat(), WEB_APP_TEAM, "active_users", str(int(base_users * weekend * rng.uniform(0.97, 1.03))))
        )
        day += timedelta(days=1)
    path = Path(out_dir) / METRICS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "team", "metric", "value"])
        writer.writerows(sorted(records))
    return path
