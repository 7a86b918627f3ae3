"""A reader of the published warehouse, as a BI tool is: read-only, from a process of its own.

    python published_reader.py DB --out FILE.jsonl [--every SECONDS] [--hold]

Polls DB until killed, one JSON line per look: whether it could read, and the money per currency
in the raw export and in every mart, so a test can tell whether each look saw one whole build.
With --hold it keeps one connection open the whole time (a BI tool's session); otherwise it
opens one per look. Runs under any DuckDB (the project's, or the 1.4 LTS one): plain SQL only.
"""

from __future__ import annotations

import argparse
import json
import signal
import time
from pathlib import Path

import duckdb

# Money per currency, rounded to the cent, on each side that must agree after a build.
TOTALS_SQL = """
with
raw as (
    select currency, sum(cost + coalesce(list_sum(list_transform(credits, lambda c: c.amount)), 0)) as billed
    from raw.gcp_billing_export_resource_v1 group by 1
),
line_items as (
    select billing_currency as currency, sum(billed_cost) as billed, sum(effective_cost) as effective
    from marts.fct_cost_line_items group by 1
),
monthly as (
    select billing_currency as currency, sum(billed_cost) as billed, sum(effective_cost) as effective
    from marts.fct_chargeback_monthly group by 1
),
daily as (
    select billing_currency as currency, sum(billed_cost) as billed, sum(effective_cost) as effective
    from marts.fct_cost_daily group by 1
),
coverage as (
    select billing_currency as currency, sum(effective_cost) as effective from marts.fct_tag_coverage_daily group by 1
)
select
    raw.currency,
    round(raw.billed, 2),
    round(line_items.billed, 2), round(monthly.billed, 2), round(daily.billed, 2),
    round(line_items.effective, 2), round(monthly.effective, 2), round(daily.effective, 2), round(coverage.effective, 2)
from raw
full join line_items using (currency)
full join monthly using (currency)
full join daily using (currency)
full join coverage using (currency)
order by 1
"""


def totals(con) -> dict[str, list[float | None]]:
    """Per currency: [raw billed, line items, monthly, daily billed, then the effective costs]."""
    return {
        row[0]: [None if value is None else float(value) for value in row[1:]]
        for row in con.execute(TOTALS_SQL).fetchall()
    }


def disagreements(seen: dict[str, list[float | None]], tolerance: float = 0.05) -> list[str]:
    """What does not add up in one look: billed cost raw = every mart; effective cost every mart."""
    problems = []
    for currency, values in seen.items():
        billed, effective = values[:4], values[4:]
        for name, group in (("billed", billed), ("effective", effective)):
            if any(value is None for value in group) or max(group) - min(group) > tolerance:
                problems.append(f"{currency} {name}: {group}")
    return problems


def poll(db: Path, out: Path, every: float, hold: bool) -> None:
    held = None
    with out.open("a") as log:
        while True:
            look = {"at": time.time()}
            try:
                if not db.exists():
                    look["state"] = "absent"
                else:
                    con = held or duckdb.connect(str(db), read_only=True)
                    try:
                        look["state"], look["totals"] = "read", totals(con)
                    finally:
                        if hold:
                            held = con
                        else:
                            con.close()
            except Exception as error:  # what a BI tool would show its user
                look["state"], look["error"] = "error", f"{type(error).__name__}: {error}"
            log.write(json.dumps(look) + "\n")
            log.flush()
            time.sleep(every)


def main() -> None:
    # Stopped by SIGTERM like any BI tool, whatever disposition or mask it inherited from the
    # process that started it (a test session that ran many libraries before).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--every", type=float, default=0.5)
    parser.add_argument("--hold", action="store_true")
    args = parser.parse_args()
    poll(args.db, args.out, args.every, args.hold)


if __name__ == "__main__":
    main()
