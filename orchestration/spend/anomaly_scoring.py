"""How well fct_cost_anomalies finds the incidents the generator injected (ground_truth/incidents.json).

An anomaly matches an incident when it is the incident's team's and its days overlap the
incident's (from its first day to its last). Matching on team and days, not on service, counts
the tax on an incident's extra usage (service `Invoice`, billed to the same team on the same
days) as that incident seen again, not as a false alarm.

* recall: share of the incidents above the impact threshold (total extra cost at least
  `min_impact`, the dbt var anomaly_min_impact) that at least one anomaly matches;
* precision: share of the anomalies that match an incident;
* days to detect: per found incident, the earliest `detected_on` of its matching anomalies (the
  usage day whose data made the anomaly reportable) minus the incident's first day (0 = reported
  from the data of the first day of extra cost).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

INCIDENTS_FILE = "incidents.json"


@dataclass(frozen=True)
class AnomalyScore:
    incidents: int  # injected incidents above the impact threshold
    found: int
    anomalies: int  # flagged anomalies
    matching_anomalies: int
    days_to_detect: dict[str, int]  # incident kind -> days from its first day to the first flag

    @property
    def recall(self) -> float:
        return self.found / self.incidents if self.incidents else 1.0

    @property
    def precision(self) -> float:
        return self.matching_anomalies / self.anomalies if self.anomalies else 1.0

    @property
    def max_days_to_detect(self) -> int | None:
        return max(self.days_to_detect.values()) if self.days_to_detect else None


def load_incidents(ground_truth_dir: Path) -> list[dict[str, Any]]:
    path = Path(ground_truth_dir) / INCIDENTS_FILE
    try:
        incidents = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON ({e})") from e
    for i, incident in enumerate(incidents):
        for key in ("kind", "team", "first_day", "last_day", "extra_cost_by_day"):
            if key not in incident:
                raise ValueError(f"{path}: incident {i} has no {key!r}")
    return incidents


def score_anomalies(
    incidents: list[dict[str, Any]], anomalies: list[dict[str, Any]], min_impact: float
) -> AnomalyScore:
    """`anomalies`: rows of fct_cost_anomalies (team, first_day, last_day, detected_on: dates or ISO text)."""

    def day(value) -> date:
        return value if isinstance(value, date) else date.fromisoformat(str(value))

    def overlaps(anomaly, incident) -> bool:
        return (
            anomaly["team"] == incident["team"]
            and day(anomaly["first_day"]) <= day(incident["last_day"])
            and day(anomaly["last_day"]) >= day(incident["first_day"])
        )

    material = [i for i in incidents if sum(i["extra_cost_by_day"].values()) >= min_impact]
    days_to_detect = {}
    for incident in material:
        matches = [a for a in anomalies if overlaps(a, incident)]
        if matches:
            first_flag = min(day(a.get("detected_on") or a["first_day"]) for a in matches)
            days_to_detect[incident["kind"]] = max(0, (first_flag - day(incident["first_day"])).days)
    matching = sum(1 for a in anomalies if any(overlaps(a, i) for i in incidents))
    return AnomalyScore(len(material), len(days_to_detect), len(anomalies), matching, days_to_detect)


def score_warehouse(con, ground_truth_dir: Path, min_impact: float, table: str = "marts.fct_cost_anomalies"):
    """Score the anomalies of a DuckDB connection's published marts against the truth."""
    columns = ["team", "first_day", "last_day", "detected_on"]
    rows = con.execute(f"select {', '.join(columns)} from {table}").fetchall()
    anomalies = [dict(zip(columns, row, strict=True)) for row in rows]
    return score_anomalies(load_incidents(ground_truth_dir), anomalies, min_impact)


def render_score(score: AnomalyScore) -> str:
    detect = ", ".join(f"{kind} {days} d" for kind, days in sorted(score.days_to_detect.items())) or "none found"
    return (
        f"  anomalies vs injected incidents: recall {score.recall:.0%} ({score.found}/{score.incidents}), "
        f"precision {score.precision:.0%} ({score.matching_anomalies}/{score.anomalies} flagged)\n"
        f"  days from first extra cost to first flag: {detect}"
    )


def default_min_impact() -> float:
    """The dbt var anomaly_min_impact (dbt_project.yml): the threshold the detection uses."""
    import yaml

    from orchestration.settings import PROJECT_ROOT

    return float(yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())["vars"]["anomaly_min_impact"])


def render_anomalies(con, ground_truth_dir: Path | None, table: str = "marts.fct_cost_anomalies", top: int = 10) -> str:
    """The largest anomalies found and, on generated data with incidents, their score."""
    rows = con.execute(
        f"""select status, billing_currency, impact_cost, team, workload_phase, service_name, resource_id,
                   first_day, last_day, drivers
            from {table} order by impact_cost desc, anomaly_id limit {int(top)}"""
    ).fetchall()
    lines = [f"Cost anomalies (largest {top} by impact)"]
    for status, currency, impact, team, phase, service, resource, first, last, drivers in rows:
        what = f"{team}/{phase}/{service}" + (f" {resource.rsplit('/', 1)[-1]}" if resource else "")
        lines.append(f"  {status:<9}{currency} {float(impact):>12,.2f}  {first}..{last}  {what}")
        if drivers:
            lines.append(f"           drivers: {drivers[:160]}")
    if not rows:
        lines.append("  none")
    if ground_truth_dir is not None and (Path(ground_truth_dir) / INCIDENTS_FILE).exists():
        lines.append(render_score(score_warehouse(con, ground_truth_dir, default_min_impact(), table)))
    return "\n".join(lines)
