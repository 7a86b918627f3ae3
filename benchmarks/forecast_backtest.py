"""Backtest of the month-end forecast: how far the forecasts made on day 7, 14 and 21 of each
month were from the month's true total, and how often the 90 % interval held it.

    python benchmarks/forecast_backtest.py [--rows 200000] [--seed 42] [--as-of 2026-12-02] [--months 6]
    python benchmarks/forecast_backtest.py --warehouse data/warehouse.duckdb   # an existing build

It builds a generated bill with the demo's code path (`chargeback demo --as-of ...` into a temporary
warehouse) unless given one, then replays the history: int_month_end_forecasts holds, for every
usage day taken as the newest day of data, the forecast that would have been made then, from the
days settled by then only. A forecast "made on day 7" is the one with data through day 6. The
true total is the month's cost once it has settled; months without history before day 7 (the
first of the bill) and months still open are left out.

A figure, not a test: nothing asserts. The issue's targets: on day 14, error within 10 % for teams
with steady spend, and the interval covering the true total at least 80 % of the time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FORECAST_DAYS = (7, 14, 21)
# A team's spend is steady when its daily cost varies little around its weekday means: the
# coefficient of variation of its settled daily cost under this.
STEADY_MAX_VARIATION = 0.35
# Series this small are noise in a percentage (a few dollars a month).
MIN_MONTH_TOTAL = 100

BACKTEST = """
with
settled as (select max(settled_through) as settled_through from intermediate.int_month_end_forecasts),
daily as (
    select d.*, date_trunc('month', d.charge_date)::date as charge_month
    from intermediate.int_spend_daily_series d
),
truth as (  -- months wholly settled, with history before them
    select team, workload_phase, provider_name, billing_currency, charge_month,
           sum(effective_cost)::double as true_total
    from daily
    group by all
    having max(charge_date) = last_day(charge_month)
       and last_day(charge_month) <= (select settled_through from settled)
       and charge_month > (select min(charge_date) from daily)
),
variation as (
    select team, workload_phase, provider_name, billing_currency,
           stddev_samp(effective_cost) / nullif(avg(effective_cost), 0) as daily_variation
    from daily
    where charge_date <= (select settled_through from settled)
    group by all
),
forecasts as (
    select f.*, day(f.data_through + 1) as forecast_day
    from intermediate.int_month_end_forecasts f
    where day(f.data_through + 1) in {days}
      and f.charge_month = date_trunc('month', f.data_through + 1)::date
)
select f.team, f.workload_phase, f.billing_currency, f.charge_month, f.forecast_day,
       t.true_total, f.forecast_cost::double as forecast, f.forecast_low::double as low,
       f.forecast_high::double as high, v.daily_variation
from forecasts f
join truth t using (team, workload_phase, provider_name, billing_currency, charge_month)
join variation v using (team, workload_phase, provider_name, billing_currency)
where f.provider_name = 'all' and t.true_total >= {min_total}
"""


def build(rows: int, seed: int, as_of: str, months: int) -> Path:
    """A demo build in a temporary folder; returns its published warehouse."""
    work = Path(tempfile.mkdtemp(prefix="chargeback-backtest-"))
    env = dict(os.environ, CHARGEBACK_DUCKDB_PATH=str(work / "warehouse.duckdb"), DAGSTER_HOME=str(work / "dagster"))
    command = [str(BIN / "chargeback"), "demo", "--rows", str(rows), "--seed", str(seed), "--as-of", as_of]
    command += ["--months", str(months), "--export-dir", str(work / "export")]
    print(f"building: {' '.join(command)}", flush=True)
    built = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    if built.returncode:
        sys.exit(f"the build failed:\n{built.stdout[-5000:]}\n{built.stderr[-5000:]}")
    return work / "warehouse.duckdb"


def report(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.sql(BACKTEST.format(days=FORECAST_DAYS, min_total=MIN_MONTH_TOTAL)).df()
    frame["error"] = (frame["forecast"] - frame["true_total"]).abs() / frame["true_total"]
    frame["covered"] = (frame["low"] <= frame["true_total"]) & (frame["true_total"] <= frame["high"])
    frame["steady"] = frame["daily_variation"] < STEADY_MAX_VARIATION
    months = sorted(frame["charge_month"].astype(str).unique())
    print(f"\nmonths replayed: {', '.join(months)}; forecasts made on days {FORECAST_DAYS}")
    for level, rows in (
        ("team (every phase)", frame[frame.workload_phase == "all"]),
        ("team x phase", frame[frame.workload_phase != "all"]),
    ):
        print(f"\n{level}: {rows[['team', 'workload_phase', 'billing_currency']].drop_duplicates().shape[0]} series")
        print(
            f"  {'day':>4} {'series-months':>13} {'median error':>13} {'steady: median':>15} {'steady: max':>12}"
            f" {'steady: within 10 %':>20} {'interval coverage':>18}"
        )
        for day in FORECAST_DAYS:
            on_day = rows[rows.forecast_day == day]
            steady = on_day[on_day.steady]
            print(
                f"  {day:>4} {len(on_day):>13} {on_day.error.median():>12.1%} "
                f"{steady.error.median() if len(steady) else float('nan'):>15.1%} "
                f"{steady.error.max() if len(steady) else float('nan'):>12.1%} "
                f"{(steady.error <= 0.10).mean() if len(steady) else float('nan'):>20.0%} "
                f"{on_day.covered.mean():>18.0%}"
            )
    teams = frame[(frame.workload_phase == "all") & (frame.forecast_day == 14)]
    print("\nday 14, per team (every phase):")
    for row in teams.sort_values(["team", "billing_currency", "charge_month"]).itertuples():
        print(
            f"  {row.team:<20} {row.billing_currency} {str(row.charge_month)[:7]}  true {row.true_total:>12,.0f}"
            f"  forecast {row.forecast:>12,.0f} [{row.low:,.0f} - {row.high:,.0f}]  error {row.error:>6.1%}"
            f"  {'steady' if row.steady else 'variable'} (daily variation {row.daily_variation:.2f})"
        )
    print(f"\ninterval coverage, every forecast: {frame.covered.mean():.0%} of {len(frame)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", help="an existing published DuckDB warehouse (else one is built)")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", default="2026-12-02")
    parser.add_argument("--months", type=int, default=6)
    args = parser.parse_args()
    warehouse = Path(args.warehouse) if args.warehouse else build(args.rows, args.seed, args.as_of, args.months)
    report(warehouse)


if __name__ == "__main__":
    main()
