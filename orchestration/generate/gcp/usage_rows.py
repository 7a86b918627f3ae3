"""The hourly usage rows: most of the export, written by one hot loop per UTC day.

Each row is a line template (company.py) picked by weight, an hour drawn from its profile, an
export batch 1-6 h later (2 % late: 2-5 days), a usage amount, the cost and the credits. Rows of
one line item group and usage hour always go to different export batches, so that
`line_item_id` is unique over the complete data.
"""

from __future__ import annotations

import bisect
import hashlib
import random
from typing import Any

import orjson

from orchestration.generate.gcp.company import USAGE_RUNNING, USAGE_STORED, LineTemplate
from orchestration.generate.gcp.organisation import conversion_rate
from orchestration.generate.gcp.timeline import (
    DAY_US,
    HOUR_US,
    Timeline,
    late_invoice_month,
    utc_datetime,
)
from orchestration.generate.gcp.writers import ExportOutput


def write_usage_rows(
    rng: random.Random,
    n_rows: int,
    day_start_h: int,
    lo_h: int,
    hi_h: int,
    templates: list[LineTemplate],
    template_indexes: list[int],
    template_cum_weights: list[float],
    profile_cum_weights: dict[str, list[float]],
    timeline: Timeline,
    output: ExportOutput,
    parquet: bool,
    picks: list[int] | None = None,
    taken_batches: dict[int, Any] | None = None,
) -> tuple[dict[str, float], list[int]]:
    """Write the hourly usage rows of one UTC day (usage hours lo_h <= h < hi_h).

    `picks` (template indexes) replaces the weighted draw of `n_rows` templates: the extra rows
    of an incident (incidents.py). `taken_batches` carries the export batches already taken by
    the day's earlier calls, so that the rows of all of them keep unique line_item_ids.

    Returns the cost per project (for the tax rows) and up to 2000 indexes of templates used
    today (candidates for adjustments). This is the hot loop: names are bound to locals and
    ExportOutput.emit is inlined.
    """
    rand = rng.random
    bisect_left = bisect.bisect_left
    md5 = hashlib.md5
    dumps = orjson.dumps
    append_newline = orjson.OPT_APPEND_NEWLINE
    batch_us = timeline.batch_us
    batch_day = timeline.batch_day
    batch_ts = timeline.batch_ts
    batch_key = timeline.batch_key
    export_ts = timeline.export_ts
    n_exported = timeline.n_exported
    hour_ts = timeline.hour_ts
    hour_dt = timeline.hour_dt
    hour_month = timeline.hour_month
    hour_pair_key = timeline.hour_pair_key
    invoices = timeline.invoices
    invoice = timeline.invoice
    writers = output.writers
    partial_day_ordinal = output.partial_day_ordinal
    partial_cut = output.partial_cut
    ground_truth = output.ground_truth
    gt_rows = ground_truth.rows
    running, stored = USAGE_RUNNING, USAGE_STORED

    # (group, hour of day) -> export batch(es) taken: rows of one line-item group and usage hour must
    # be in different batches so that their line_item_id differs
    if taken_batches is None:
        taken_batches = {}
    project_cost: dict[str, float] = {}
    day_templates: list[int] = []
    emitted = 0
    if picks is None:
        picks = rng.choices(template_indexes, cum_weights=template_cum_weights, k=n_rows) if n_rows > 0 else []
    for ti in picks:
        t = templates[ti]
        # ---- usage hour and export batch
        cw = profile_cum_weights[t.profile]
        h = day_start_h + bisect_left(cw, rand() * cw[23])
        if h < lo_h or h >= hi_h:  # the window starts/ends mid-UTC-day: spread uniformly instead
            h = lo_h + int(rand() * (hi_h - lo_h))
        late = rand() < 0.02
        if late:  # 2-5 days
            bi = bisect_left(batch_us, (h + 1) * HOUR_US + int((2.0 + 3.0 * rand()) * DAY_US))
        else:  # 1-6 hours after usage_end_time
            bi = bisect_left(batch_us, (h + 1) * HOUR_US + int((1.0 + 5.0 * rand()) * HOUR_US))
        slot = t.group_id * 32 + h - day_start_h
        taken = taken_batches.get(slot)
        if taken is None:
            taken_batches[slot] = bi
        else:
            if type(taken) is int:
                taken = taken_batches[slot] = {taken}
            while bi in taken:
                bi += 1
            taken.add(bi)
        if bi >= n_exported:  # not exported yet (the live clock) or after the last batch: not in the export
            continue
        # ---- amount and cost
        mode = t.usage_mode
        if mode == running:
            amount = float(int(t.hourly_amount * (1.0 if rand() < 0.85 else 0.1 + 0.9 * rand()) + 0.5))
        elif mode == stored:
            amount = float(int(t.hourly_amount * (0.98 + 0.04 * rand()) + 0.5))
        else:
            amount = float(int(t.hourly_amount * (0.3 + 1.4 * rand()) + 0.5))
        if amount <= 0.0:
            amount = 1.0
        pricing_amount = amount / t.units_per_pricing_unit
        cost = int(pricing_amount * t.effective_price * 1e6 + 0.5) / 1e6  # >= 0: never -0.0
        cost_at_list = int(pricing_amount * t.list_price * 1e6 + 0.5) / 1e6
        month = hour_month[h]
        if late:
            month = late_invoice_month(month, batch_us[bi])
        ts = batch_ts[bi]
        if ts is None:
            ts = export_ts(bi)
        acct_i = t.account_index
        # the per-row fields; the constant ones are in t.static / t.json_prefix
        fields = {
            "usage_start_time": hour_ts[h],
            "usage_end_time": hour_ts[h + 1],
            "export_time": ts,
            "cost": cost,
            "currency_conversion_rate": 1.0 if acct_i == 0 else conversion_rate(acct_i, month),
            "usage": {
                "amount": amount,
                "unit": t.usage_unit,
                "amount_in_pricing_units": pricing_amount,
                "pricing_unit": t.pricing_unit,
            },
            "invoice": invoices.get(month) or invoice(month),
            "cost_type": "regular",
            "cost_at_list": cost_at_list,
            "cost_at_effective_price_default": cost,
            "cost_at_list_consumption_model": cost_at_list,
        }
        # ---- credits (their fractions of the cost stay below 95 % in total)
        credits_total = 0.0
        if t.credits and cost > 0.0:
            credits = []
            fraction_total = 0.0
            for ctype, cname, cid, cfull, probability, low, high in t.credits:
                if rand() < probability:
                    fraction = low if low == high else low + (high - low) * rand()
                    if fraction_total + fraction >= 0.95:
                        continue
                    amt = -(int(cost * fraction * 1e6) / 1e6)
                    if amt != 0.0:
                        credits.append({"name": cname, "amount": amt, "full_name": cfull, "id": cid, "type": ctype})
                        fraction_total += fraction
                        credits_total += amt
            if credits:
                fields["credits"] = credits
                credits_total = round(credits_total, 6) + 0.0
            elif not t.omit_empty:
                fields["credits"] = credits
        elif not t.omit_empty:
            fields["credits"] = []
        # ---- write (inlined ExportOutput.emit)
        export_day = batch_day[bi]
        w = writers.get((acct_i, export_day)) or output.writer(acct_i, export_day)
        if parquet:
            item = dict(t.parquet_static)
            item.update(fields)
            item["usage_start_time"] = hour_dt[h]
            item["usage_end_time"] = hour_dt[h + 1]
            item["export_time"] = utc_datetime(batch_us[bi])
        else:
            item = t.json_prefix + dumps(fields, option=append_newline)[1:]
        w.add(item)
        if export_day == partial_day_ordinal[acct_i] and batch_us[bi] < partial_cut[acct_i]:
            output.partial_writer(acct_i).add(item)
            output.partial_rows += 1
        # line_item_id computed directly from its parts (== line_item_id() of the row)
        line_id = md5(
            f"{t.key_prefix}{hour_pair_key[h]}{batch_key[bi]}|regular||{cost:.9f}|{amount:.9f}".encode()
        ).hexdigest()
        gt_rows.append((line_id, t.account_id, month, t.currency, cost, credits_total, t.team, t.phase))
        if len(gt_rows) >= ground_truth.batch:
            ground_truth.flush()
            gt_rows = ground_truth.rows
        emitted += 1
        project_cost[t.project_id] = project_cost.get(t.project_id, 0.0) + cost
        if len(day_templates) < 2000:
            day_templates.append(ti)
    output.rows += emitted
    return project_cost, day_templates
