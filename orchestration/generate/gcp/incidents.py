"""Cost incidents injected into the generated export, with their ground truth (``--incidents``).

Four incidents a FinOps team meets on AI spend:

* ``idle_training_vm``: an a3 VM (8 x H100) of a training team left running after its job: its
  GPU, core and RAM lines bill 24 hours a day for 3-6 more days, until someone stops it.
* ``endpoint_scale_out``: a Vertex AI prediction endpoint scaled out x3 (two more nodes, 48 more
  node hours a day) and never back: from its first day to the end of the window (ongoing).
* ``token_retry_loop``: a client stuck in a retry loop: the LLM gateway's Gemini token lines at
  5-10x their usual volume for 1-2 days.
* ``runaway_bigquery_scan``: a scheduled query gone wrong scans 60-150 TiB in one day, billed as
  the Analysis SKU of one dataset.

The rows are extra rows of existing line templates (the resource's own SKUs, project, labels),
written by the usage rows' hot loop (write_usage_rows) on the same UTC day, so they look like any
export row, keep unique line_item_ids and get ground truth rows. The VM and the endpoint are sized
as the real thing (hours a day); the token spike and the scan as multiples of what the line
usually bills in this export. An incident's extra cost is the effective cost (cost + credits) of
exactly its rows; the tax on it (a separate tax row per project) is not counted.

Placement is deterministic for the seed and relative to the window's end (the newest data),
so every incident falls inside whatever window is generated, after at least four weeks of
history where the window has them; the endpoint is still going on at the end.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from orchestration.generate.gcp.company import USAGE_RUNNING, Company, LineTemplate, Resource
from orchestration.generate.gcp.timeline import Timeline
from orchestration.generate.gcp.usage_rows import write_usage_rows
from orchestration.generate.gcp.writers import ExportOutput

INCIDENTS_FILE = "incidents.json"
# history the detection needs before an incident (capped at half the window when it is shorter)
_HISTORY_DAYS = 28


@dataclass
class Incident:
    """One injected incident: which lines bill more, on which UTC usage days, and what it cost."""

    kind: str
    description: str
    resource: Resource
    templates: list[LineTemplate]  # the lines whose extra rows are written (clones when amounts differ)
    rows_per_day: int  # extra rows of each template on a whole day
    first_day: date
    last_day: date  # inclusive
    extra_cost_by_day: dict[date, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        t = self.templates[0]
        resource = t.static.get("resource") or {}
        by_day = {d.isoformat(): round(c, 6) for d, c in sorted(self.extra_cost_by_day.items())}
        days = sorted(self.extra_cost_by_day) or [self.first_day, self.last_day]
        return {
            "kind": self.kind,
            "description": self.description,
            "team": t.team,
            "workload_phase": t.phase,
            "service": t.static["service"]["description"],
            "skus": sorted({x.static["sku"]["description"] for x in self.templates}),
            "project": t.project_id,
            "resource_name": resource.get("name"),
            "resource_id": resource.get("global_name"),
            "billing_currency": t.currency,
            "first_day": days[0].isoformat(),
            "last_day": days[-1].isoformat(),  # the last UTC usage day with extra rows
            "extra_cost_by_day": by_day,
            "extra_cost_per_day": round(sum(self.extra_cost_by_day.values()) / max(1, len(by_day)), 6),
            "total_extra_cost": round(sum(self.extra_cost_by_day.values()), 6),
        }


def _clone(t: LineTemplate, hourly_amount: float) -> LineTemplate:
    """The same line with another typical hourly amount (same group: ids stay unique)."""
    c = copy.copy(t)
    c.hourly_amount = hourly_amount
    return c


def _sku(t: LineTemplate) -> str:
    return t.static["sku"]["description"]


def _resources_with(company: Company, sku_text: str, phase: str | None = None) -> list[Resource]:
    """Resources of the main billing account with a line whose SKU contains `sku_text`."""
    return [
        r
        for r in company.resources
        if r.templates
        and r.templates[0].account_index == 0
        and not r.is_gke
        and any(sku_text in _sku(t) for t in r.templates)
        and (phase is None or r.templates[0].phase == phase)
    ]


class IncidentPlan:
    """The incidents of a seed and window, written day by day (`write_day`), then their truth."""

    def __init__(self, company: Company, seed: int, start: date, end: date, rows: int):
        rng = random.Random(seed * 104_729 + 11)  # its own draws: the company and rows do not move it
        last = end - timedelta(days=1)
        n_days = (end - start).days
        earliest = start + timedelta(days=min(_HISTORY_DAYS, n_days // 2))
        total_weight = sum(t.weight for t in company.templates)
        rows_per_day = rows / max(1, n_days)

        def day(offset: int) -> date:
            return max(earliest, last - timedelta(days=offset))

        def usual_rows(t: LineTemplate) -> float:
            return rows_per_day * t.weight / total_weight

        self.incidents: list[Incident] = []
        self.rows_written = 0  # on top of the requested rows: the day loop does not count them
        # NB: the order of the draws below fixes the incidents of a seed
        scan_day = day(rng.randint(38, 52))
        vm_first = day(rng.randint(24, 32))
        vm_days = rng.randint(3, 6)
        token_first = day(rng.randint(12, 17))
        token_days = rng.randint(1, 2)
        endpoint_first = day(rng.randint(4, 7))

        vms = _resources_with(company, "H100 80GB GPU running", "training")
        vms = [r for r in vms if r.templates[0].static["service"]["description"] == "Compute Engine"] or vms
        if vms:
            vm = rng.choice(vms)
            running = [t for t in vm.templates if t.usage_mode == USAGE_RUNNING]
            self._add(
                "idle_training_vm",
                "an 8 x H100 VM left running after its training job: GPU, core and RAM hours all day",
                vm,
                running,
                24,
                vm_first,
                min(last, vm_first + timedelta(days=vm_days - 1)),
            )
        endpoints = _resources_with(company, "Online Prediction on Nvidia Tesla A100", "inference") or _resources_with(
            company, "Online Prediction", "inference"
        )
        if endpoints:
            endpoint = rng.choice(endpoints)
            self._add(
                "endpoint_scale_out",
                "a prediction endpoint scaled out x3 (two more nodes) and never back",
                endpoint,
                [t for t in endpoint.templates if "Online Prediction" in _sku(t)],
                48,
                endpoint_first,
                end,  # to the window's last UTC day (partly covered when the window ends mid-UTC-day)
            )
        gateways = _resources_with(company, "Text Tokens", "inference")
        if gateways:
            gateway = rng.choice(gateways)
            factor = rng.uniform(5.0, 10.0)
            # 24 rows a day carrying (factor - 1) x the line's usual daily volume
            tokens = [
                _clone(t, t.hourly_amount * (factor - 1.0) * usual_rows(t) / 24.0)
                for t in gateway.templates
                if "Text Tokens" in _sku(t)
            ]
            self._add(
                "token_retry_loop",
                f"a client retry loop: Gemini token volume x{factor:.1f}",
                gateway,
                tokens,
                24,
                token_first,
                min(last, token_first + timedelta(days=token_days - 1)),
            )
        datasets = _resources_with(company, "Analysis")
        if datasets:
            dataset = rng.choice(datasets)
            tib = rng.uniform(60.0, 150.0)
            analysis = [t for t in dataset.templates if _sku(t) == "Analysis"]
            # a query re-run every two hours: 12 rows sharing the scanned bytes
            scans = [_clone(t, tib * t.units_per_pricing_unit / 12.0) for t in analysis]
            self._add(
                "runaway_bigquery_scan",
                f"a runaway scheduled query: {tib:.0f} TiB scanned in one day",
                dataset,
                scans,
                12,
                scan_day,
                scan_day,
            )

    def _add(self, kind, description, resource, templates, rows_per_day, first_day, last_day) -> None:
        if templates:
            self.incidents.append(Incident(kind, description, resource, templates, rows_per_day, first_day, last_day))

    def write_day(
        self,
        d: date,
        rng: random.Random,
        day_start_h: int,
        lo_h: int,
        hi_h: int,
        timeline: Timeline,
        output: ExportOutput,
        parquet: bool,
        taken_batches: dict[int, Any],
        project_cost: dict[str, float],
    ) -> None:
        """Write the extra rows of the incidents active on UTC day `d` (usage hours lo_h <= h < hi_h),
        adding their cost to `project_cost` (the day's tax follows it) and to each incident's truth."""
        ground_truth = output.ground_truth
        for incident in self.incidents:
            if not incident.first_day <= d <= incident.last_day or hi_h <= lo_h:
                continue
            n = max(1, round(incident.rows_per_day * (hi_h - lo_h) / 24))
            picks = [i for i in range(len(incident.templates)) for _ in range(n)]
            # no flush during the call: the rows it appends to the ground truth are the incident's
            if len(ground_truth.rows) + len(picks) >= ground_truth.batch:
                ground_truth.flush()
            first_row = len(ground_truth.rows)
            rows_before = output.rows
            cost, _ = write_usage_rows(
                rng, 0, day_start_h, lo_h, hi_h, incident.templates, [], [], _PROFILES, timeline, output, parquet,
                picks=picks, taken_batches=taken_batches,
            )  # fmt: skip
            self.rows_written += output.rows - rows_before
            for project, amount in cost.items():
                project_cost[project] = project_cost.get(project, 0.0) + amount
            extra = sum(row[4] + row[5] for row in ground_truth.rows[first_row:])  # cost + credits
            incident.extra_cost_by_day[d] = incident.extra_cost_by_day.get(d, 0.0) + extra

    def write_truth(self, folder: Path) -> Path:
        """ground_truth/incidents.json: one object per incident (see Incident.to_json)."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / INCIDENTS_FILE
        path.write_text(json.dumps([i.to_json() for i in self.incidents], indent=2) + "\n")
        return path


def _profile_cum_weights() -> dict[str, list[float]]:
    from itertools import accumulate

    from orchestration.generate.gcp.organisation import HOUR_PROFILES

    return {name: list(accumulate(w)) for name, w in HOUR_PROFILES.items()}


_PROFILES = _profile_cum_weights()
