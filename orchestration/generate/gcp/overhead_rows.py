"""The rows that are not hourly usage, per Pacific day: tax per project (on that day's usage
cost), the support fee and tax on it, now and then an adjustment of a line used that day, and a
rounding error per billing account at month end."""

from __future__ import annotations

import random

from orchestration.generate.gcp.company import Company
from orchestration.generate.gcp.ground_truth import line_item_id
from orchestration.generate.gcp.organisation import ACCOUNTS, conversion_rate
from orchestration.generate.gcp.resource_fields import hexid
from orchestration.generate.gcp.skus import CONSUMPTION_MODEL, SERVICES
from orchestration.generate.gcp.timeline import (
    DAY_US,
    HOUR_US,
    Timeline,
    late_invoice_month,
    utc_datetime,
)
from orchestration.generate.gcp.writers import ExportOutput, bigquery_json

# adjustment types: (type, mode, description)
ADJ_TYPES = [
    ("USAGE_CORRECTION", "PARTIAL_CORRECTION", "Correction of over-reported usage"),
    ("PRICE_CORRECTION", "COMPLETE_NEGATION_WITH_REMONETIZATION", "Price correction"),
    ("GOODWILL", "MANUAL_ADJUSTMENT", "Goodwill credit for service disruption"),
    ("SLA_VIOLATION", "MANUAL_ADJUSTMENT", "SLA credit"),
    ("METADATA_CORRECTION", "COMPLETE_NEGATION_WITH_REMONETIZATION", "Label metadata correction"),
]


def write_daily_overhead(
    company: Company,
    rng: random.Random,
    timeline: Timeline,
    output: ExportOutput,
    parquet: bool,
    p_lo_h: int,
    p_hi_h: int,
    project_cost: dict[str, float],
    day_templates: list[int],
    is_month_end: bool,
) -> None:
    """The non-usage rows of one Pacific day (usage hours p_lo_h <= h < p_hi_h): tax per project,
    support and tax on support, now and then an adjustment, and a rounding error at month end.

    NB: the RNG draws happen in a fixed order; keep it when editing.
    """
    month = timeline.hour_month[p_lo_h]
    start_ts, end_ts = timeline.hour_ts[p_lo_h], timeline.hour_ts[p_hi_h]
    end_us = p_hi_h * HOUR_US
    invoice_service = {"id": SERVICES["invoice"][0], "description": "Invoice"}
    tax_sku = {"id": hexid("invoice", "Tax"), "description": "Tax"}

    def write(
        acct_i: int,
        bi: int,
        static: dict,
        parquet_static: dict | None,
        fields: dict,
        lo_h: int,
        hi_h: int,
        team: str,
        phase: str,
    ) -> None:
        if bi >= timeline.n_exported:  # not exported yet (the live clock)
            return
        row = dict(static)
        row.update(fields)
        if parquet:
            item = dict(parquet_static)
            item.update(fields)
            item["usage_start_time"] = timeline.hour_dt[lo_h]
            item["usage_end_time"] = timeline.hour_dt[hi_h]
            item["export_time"] = utc_datetime(timeline.batch_us[bi])
        else:
            item = bigquery_json(row) + b"\n"
        output.emit(
            acct_i,
            timeline.batch_day[bi],
            timeline.batch_us[bi],
            item,
            (
                line_item_id(row),
                row["billing_account_id"],
                fields["invoice"]["month"],
                row["currency"],
                fields["cost"],
                0.0,
                team,
                phase,
            ),
        )

    # ---- tax per project, on the usage cost of the day
    account_cost = [0.0 for _ in ACCOUNTS]
    for pid in sorted(project_cost):
        acct_i = company.project_account[pid]
        base = project_cost[pid]
        account_cost[acct_i] += base
        rate = ACCOUNTS[acct_i]["tax"]
        if rate <= 0 or base <= 0:
            continue
        cost = round(base * rate, 6) + 0.0
        bi = timeline.first_batch_at(end_us + int((2 + 3 * rng.random()) * HOUR_US))
        acct = ACCOUNTS[acct_i]
        static = {
            "billing_account_id": acct["id"],
            "service": invoice_service,
            "sku": tax_sku,
            "project": company.projects[pid],
            "labels": [],
            "system_labels": [],
            "tags": [],
            "currency": acct["currency"],
        }
        fields = {
            "usage_start_time": start_ts,
            "usage_end_time": end_ts,
            "export_time": timeline.export_ts(bi),
            "cost": cost,
            "currency_conversion_rate": conversion_rate(acct_i, month),
            "credits": [],
            "invoice": timeline.invoice(month),
            "cost_type": "tax",
            "cost_at_list": cost,
            "usage": {"amount": 0.0, "unit": "", "amount_in_pricing_units": 0.0, "pricing_unit": ""},
        }
        write(acct_i, bi, static, static, fields, p_lo_h, p_hi_h, company.project_team[pid], "non_ai")

    # ---- support (account level, 3 % of usage with a minimum fee) and tax on support
    for acct_i, acct in enumerate(ACCOUNTS):
        if account_cost[acct_i] <= 0 and acct_i > 0:
            continue
        fee = round(max(15.0 if acct_i else 150.0, account_cost[acct_i] * 0.03), 6)
        support_service = {"id": SERVICES["support"][0], "description": "Support"}
        sku_desc = "Enhanced Support" if acct_i else "Premium Support Fee"
        support_sku = {"id": hexid("support", sku_desc), "description": sku_desc}
        for cost_type, cost in (("regular", fee), ("tax", round(fee * acct["tax"], 6))):
            if cost_type == "tax" and cost <= 0:
                continue
            bi = timeline.first_batch_at(end_us + int((3 + 4 * rng.random()) * HOUR_US))
            is_fee = cost_type == "regular"
            static = {
                "billing_account_id": acct["id"],
                "service": support_service if is_fee else invoice_service,
                "sku": support_sku if is_fee else tax_sku,
                "labels": [],
                "system_labels": [],
                "credits": [],
                "currency": acct["currency"],
                "consumption_model": CONSUMPTION_MODEL,
            }
            if is_fee:
                static["transaction_type"] = "GOOGLE"
                static["seller_name"] = "Google"
            fields = {
                "usage_start_time": start_ts,
                "usage_end_time": end_ts,
                "export_time": timeline.export_ts(bi),
                "cost": cost,
                "currency_conversion_rate": conversion_rate(acct_i, month),
                "invoice": timeline.invoice(month),
                "cost_type": cost_type,
                "cost_at_list": cost,
            }
            write(acct_i, bi, static, static, fields, p_lo_h, p_hi_h, "shared", "non_ai")

    # ---- adjustments: a few per week, on a line used today, exported 1-3 days later
    if day_templates and rng.random() < 0.35:
        t = company.templates[rng.choice(day_templates)]
        adj_type, adj_mode, adj_desc = rng.choice(ADJ_TYPES)
        h = p_lo_h + rng.randrange(max(1, p_hi_h - p_lo_h - 1))
        bi = timeline.first_batch_at(end_us + int((1 + 2 * rng.random()) * DAY_US))
        if bi < timeline.n_batches:
            adj_month = late_invoice_month(timeline.hour_month[h], timeline.batch_us[bi])
            base_cost = t.effective_price * t.quantity
            if adj_type == "USAGE_CORRECTION":  # 20 % of the usage taken back
                amount = -round(t.quantity * (3600.0 if t.unit == "hour" else 1.0) * 0.2, 0)
                if t.unit == "hour":
                    cost = round(amount / t.units_per_pricing_unit * t.effective_price, 6) + 0.0
                else:
                    cost = round(-0.2 * base_cost, 6) + 0.0
            else:  # money only, mostly a credit
                amount = 0.0
                cost = round(-(0.05 + 0.5 * rng.random()) * max(base_cost, 1.0), 6) + 0.0
                if adj_type == "METADATA_CORRECTION" and rng.random() < 0.5:
                    cost = -cost + 0.0
            adj_id = hexid("adj", str(h), str(bi), t.key_prefix, groups=4).lower()
            static = dict(t.static)
            static.pop("transaction_type", None)
            parquet_static = None
            if parquet:
                parquet_static = dict(t.parquet_static)
                parquet_static.pop("transaction_type", None)
            acct_i = t.account_index
            fields = {
                "usage_start_time": timeline.hour_ts[h],
                "usage_end_time": timeline.hour_ts[h + 1],
                "export_time": timeline.export_ts(bi),
                "cost": cost,
                "currency_conversion_rate": conversion_rate(acct_i, adj_month),
                "usage": {
                    "amount": amount,
                    "unit": t.usage_unit,
                    "amount_in_pricing_units": amount / t.units_per_pricing_unit,
                    "pricing_unit": t.pricing_unit,
                },
                "credits": [],
                "invoice": timeline.invoice(adj_month),
                "cost_type": "adjustment",
                "adjustment_info": {"id": adj_id, "description": adj_desc, "mode": adj_mode, "type": adj_type},
                "cost_at_list": cost,
            }
            write(acct_i, bi, static, parquet_static, fields, h, h + 1, t.team, t.phase)

    # ---- rounding error at month end, account level
    if is_month_end:
        for acct_i, acct in enumerate(ACCOUNTS):
            cost = round((rng.random() - 0.5) * 0.02, 6) + 0.0
            if cost == 0.0:
                cost = 0.000001
            bi = timeline.first_batch_at(end_us + int(5 * HOUR_US))
            static = {
                "billing_account_id": acct["id"],
                "service": invoice_service,
                "sku": {"id": hexid("invoice", "Rounding error"), "description": "Rounding error"},
                "labels": [],
                "currency": acct["currency"],
            }
            fields = {
                "usage_start_time": start_ts,
                "usage_end_time": end_ts,
                "export_time": timeline.export_ts(bi),
                "cost": cost,
                "currency_conversion_rate": conversion_rate(acct_i, month),
                "invoice": timeline.invoice(month),
                "cost_type": "rounding_error",
                "cost_at_list": cost,
            }
            write(acct_i, bi, static, static, fields, p_lo_h, p_hi_h, "shared", "non_ai")
