"""`generate_gcp_export`: the company, the timeline and the day loop that writes the rows of each
day, then the summary of what was written (also OUT/manifest.json)."""

from __future__ import annotations

import gc
import itertools
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from orchestration.generate.gcp.company import Company
from orchestration.generate.gcp.incidents import IncidentPlan
from orchestration.generate.gcp.labels import strip_team_attribution
from orchestration.generate.gcp.organisation import ACCOUNTS, HOUR_PROFILES
from orchestration.generate.gcp.overhead_rows import write_daily_overhead
from orchestration.generate.gcp.timeline import (
    HOUR_US,
    Timeline,
    date_of_day_ordinal,
    export_batches,
    live_window,
    pacific_midnight_us,
    usage_window_end,
    utc_day_weights,
    utc_midnight_us,
)
from orchestration.generate.gcp.usage_rows import write_usage_rows
from orchestration.generate.gcp.writers import ExportOutput, to_parquet_static
from orchestration.ingestion import gcp_schema


@dataclass(frozen=True)
class GenerateSummary:
    """What `generate_gcp_export` wrote; OUT/manifest.json holds the same."""

    rows: int  # export rows of the complete data (each line item once)
    partial_rows: int  # rows written a second time in the partial extracts
    rows_written: int  # rows + partial_rows
    files: int
    extracts: tuple[str, ...]  # extract folders relative to out_dir, in load (name) order
    billing_accounts: tuple[str, ...]
    usage_start: str  # first usage day (Pacific)
    usage_end: str  # last usage day (Pacific, inclusive)
    first_export_date: str
    last_export_date: str
    invoice_months: tuple[str, ...]
    ground_truth: str
    format: str
    seed: int
    untagged_share: float = 0.0  # share of usage cost whose team labels were stripped (--untagged-share)
    as_of: str = ""  # the live clock: the export as it stood at UTC midnight of this day ("" = complete)
    incidents: int = 0  # cost incidents injected (--incidents; truth in ground_truth/incidents.json)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["extracts"] = list(self.extracts)
        d["billing_accounts"] = list(self.billing_accounts)
        d["invoice_months"] = list(self.invoice_months)
        return d


DEFAULT_START = date(2026, 7, 1)

# rows a day per unit of `scale` are ~24 x this (tuning constant; `scale` multiplies the resource
# counts of the SPECS that scale)
_USAGE_ROWS_PER_HOUR_PER_SCALE = 165.0


def generate_gcp_export(
    out_dir: Path,
    rows: int,
    seed: int = 42,
    start: date | None = None,
    months: int = 3,
    fmt: Literal["json", "parquet"] = "json",
    shard_rows: int = 250_000,
    progress: Callable[[int], None] | None = None,
    untagged_share: float = 0.0,
    as_of: date | None = None,
    incidents: bool = False,
) -> GenerateSummary:
    """Write a realistic detailed-usage-cost export of about `rows` rows (see the package doc):
    usage of the `months` whole months from `start` (default 2026-07-01), all of it exported.

    `as_of` set (instead of `start`): the export as it stood at UTC midnight of that day, the live
    clock. Usage runs from the `months` whole months before as_of's month through the day before
    as_of; rows exported after that moment are not there yet, so the newest days are still
    filling in (most of yesterday's last hours, the late rows of the last five days).

    `untagged_share` > 0 strips the team labels and tags from resources holding about that
    share of the usage cost (see labels.strip_team_attribution): demo data with broken tag
    coverage, to see the coverage checks fail. 0 (the default) leaves the data unchanged."""
    if fmt not in ("json", "parquet"):
        raise ValueError("fmt must be 'json' or 'parquet'")
    if rows < 1 or months < 1 or shard_rows < 1:
        raise ValueError("rows, months and shard_rows must be positive")
    if as_of is not None and start is not None:
        raise ValueError("give start or as_of, not both")
    if as_of is not None:
        start, end = live_window(as_of, months)
    else:
        start = start or DEFAULT_START
        end = usage_window_end(start, months)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    win_lo = pacific_midnight_us(start)
    win_hi = pacific_midnight_us(end)
    n_days = (end - start).days
    scale = max(1, int(round(rows / n_days / (24 * _USAGE_ROWS_PER_HOUR_PER_SCALE))))
    company = Company(seed, scale)
    untagged = strip_team_attribution(company, untagged_share, seed) if untagged_share else 0.0
    templates = company.templates
    rng = random.Random(seed)  # all row-level randomness
    parquet = fmt == "parquet"
    if parquet:
        for t in templates:
            t.parquet_static = to_parquet_static(t.static)
    incident_plan = IncidentPlan(company, seed, start, end, rows) if incidents else None

    utc_days, day_weights = utc_day_weights(win_lo, win_hi)
    total_weight = sum(day_weights)
    first_hour = win_lo // HOUR_US
    end_hour = win_hi // HOUR_US
    exported_before_us = utc_midnight_us(as_of) if as_of is not None else None
    timeline = Timeline(
        export_batches(seed, utc_days[0], utc_days[-1]), first_hour, end_hour, parquet, exported_before_us
    )
    month_list = sorted({m for h, m in timeline.hour_month.items() if first_hour <= h < end_hour})

    # cumulative weights of the hour-of-day profiles and of the templates, for weighted picks
    profile_cum_weights = {name: list(itertools.accumulate(w)) for name, w in HOUR_PROFILES.items()}
    template_indexes = list(range(len(templates)))
    template_cum_weights = list(itertools.accumulate(t.weight for t in templates))

    output = ExportOutput(out_dir, fmt, shard_rows, gcp_schema.arrow_schema() if parquet else None, start, n_days)
    produced = 0
    cum_weight = 0.0
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived dicts: the cyclic GC only costs time here
    try:
        for day_i, d in enumerate(utc_days):
            # rows due by the end of this day, minus all rows so far (overhead rows included)
            cum_weight += day_weights[day_i]
            n_usage = max(0, int(round(float(rows) * cum_weight / total_weight)) - produced)
            day_start_h = utc_midnight_us(d) // HOUR_US
            taken_batches: dict = {}
            project_cost, day_templates = write_usage_rows(
                rng,
                n_usage,
                day_start_h,
                max(first_hour, day_start_h),
                min(end_hour, day_start_h + 24),
                templates,
                template_indexes,
                template_cum_weights,
                profile_cum_weights,
                timeline,
                output,
                parquet,
                taken_batches=taken_batches,
            )
            if incident_plan is not None:
                lo_h, hi_h = max(first_hour, day_start_h), min(end_hour, day_start_h + 24)
                incident_plan.write_day(
                    d, rng, day_start_h, lo_h, hi_h, timeline, output, parquet, taken_batches, project_cost
                )
            # overhead of the Pacific day with the same date (tax on this UTC day's usage)
            if start <= d < end:
                next_day = d + timedelta(days=1)
                write_daily_overhead(
                    company,
                    rng,
                    timeline,
                    output,
                    parquet,
                    pacific_midnight_us(d) // HOUR_US,
                    pacific_midnight_us(next_day) // HOUR_US,
                    project_cost,
                    day_templates,
                    # an open month (the live clock) has no month-end rows yet
                    is_month_end=next_day.day == 1 or (next_day == end and as_of is None),
                )
            # the incidents' rows come on top of the requested rows
            produced = output.rows - (incident_plan.rows_written if incident_plan is not None else 0)
            # the rows of later days are all exported after this UTC day
            output.close_through(day_start_h // 24)
            if progress is not None:
                progress(produced)
        output.close_through(10**9)
        output.ground_truth.flush()
        if incident_plan is not None:
            incident_plan.write_truth(out_dir / "ground_truth")
    finally:
        if gc_was_enabled:
            gc.enable()
        output.pipe.close()

    export_days = sorted(output.export_days)
    summary = GenerateSummary(
        rows=output.rows,
        partial_rows=output.partial_rows,
        rows_written=output.rows + output.partial_rows,
        files=output.files,
        extracts=tuple(sorted(output.extracts)),
        billing_accounts=tuple(a["id"] for a in ACCOUNTS),
        usage_start=start.isoformat(),
        usage_end=(end - timedelta(days=1)).isoformat(),
        first_export_date=date_of_day_ordinal(export_days[0]).isoformat() if export_days else "",
        last_export_date=date_of_day_ordinal(export_days[-1]).isoformat() if export_days else "",
        invoice_months=tuple(sorted(set(month_list) | set(timeline.invoices))),
        ground_truth=str(out_dir / "ground_truth"),
        format=fmt,
        seed=seed,
        untagged_share=round(untagged, 4),
        as_of=as_of.isoformat() if as_of is not None else "",
        incidents=len(incident_plan.incidents) if incident_plan is not None else 0,
    )
    (out_dir / "manifest.json").write_text(json.dumps(summary.to_json(), indent=2) + "\n")
    return summary
