"""`chargeback report --html DIR`: an overview page and one page per team, plotly.js written once
beside them, so the folder opens from disk or any static host with no network."""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
from plotly.offline import get_plotlyjs

import orchestration.report_site.charts as charts
import orchestration.report_site.queries as queries
from orchestration.report_site.queries import Marts, Unavailable
from orchestration.report_site.templates import PLOTLY_JS, environment

DAILY_DAYS = 90  # the daily charts' window: a quarter shows weekly rhythm and month ends


@dataclass(frozen=True)
class Site:
    """What was written: the overview, each team's page (team -> path)."""

    index: Path
    team_pages: dict[str, Path]


def _file_names(teams: list[str]) -> dict[str, str]:
    """A file name per team: a slug of the name (user data), made unique."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for team in teams:
        slug = re.sub(r"[^a-z0-9]+", "-", team.lower()).strip("-") or "team"
        name, number = f"team-{slug}.html", 2
        while name in used:
            name, number = f"team-{slug}-{number}.html", number + 1
        used.add(name)
        names[team] = name
    return names


def _team_rows(marts: Marts, month: date) -> tuple[list[dict], Unavailable | None, Unavailable | None]:
    """Per team and currency: month to date (daily cost), forecast, whole-team budget and status."""
    rows = {(row["team"], row["billing_currency"]): dict(row) for row in queries.month_to_date(marts, month)}
    forecasts, budgets = queries.forecasts(marts, month), queries.budgets(marts, month)
    fields = ("data_through", "forecast_cost", "forecast_low", "forecast_high")
    blank = dict.fromkeys((*fields, "budget_amount", "projected_over_under", "status"))
    for row in rows.values():
        row.update(blank)
    # A team with a forecast or a budget but no cost yet this month still gets its row.
    for source in (forecasts, budgets):
        for row in [] if isinstance(source, Unavailable) else source:
            rows.setdefault((row["team"], row["billing_currency"]), {**blank, **row, "month_to_date_cost": 0.0})
    for row in [] if isinstance(forecasts, Unavailable) else forecasts:
        rows[row["team"], row["billing_currency"]].update({field: row[field] for field in fields})
    for row in [] if isinstance(budgets, Unavailable) else budgets:
        if row["workload_phase"] != queries.ALL or row["provider_name"] != queries.ALL:
            continue  # a budget on one phase or provider is shown on the team's page
        target = rows[row["team"], row["billing_currency"]]
        target.update(budget_amount=row["budget_amount"], projected_over_under=row["projected_over_under"])
        target["status"] = row["status"]
        if target["forecast_cost"] is None:
            target.update({field: row[field] for field in fields if field in row})
    # The forecast mart has a zero series for a team in a currency it spent in before but not this month.
    kept = [row for row in rows.values() if not _nothing(row)]
    ordered = sorted(kept, key=lambda row: (row["billing_currency"], -row["month_to_date_cost"], row["team"]))
    return (
        ordered,
        forecasts if isinstance(forecasts, Unavailable) else None,
        budgets if isinstance(budgets, Unavailable) else None,
    )


def _nothing(row: dict) -> bool:
    """No cost this month, no forecast of any, no budget."""
    return (
        abs(row["month_to_date_cost"]) < 0.005
        and abs(row["forecast_cost"] or 0) < 0.005
        and abs(row["forecast_high"] or 0) < 0.005
        and row["budget_amount"] is None
    )


def _by_currency(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["billing_currency"]].append(row)
    return dict(sorted(grouped.items()))


def _driver_lines(drivers) -> list[str]:
    """The anomaly's drivers as lines of text, whether the mart gives text, JSON or a list."""
    if drivers is None:
        return []
    if isinstance(drivers, str):
        try:
            drivers = json.loads(drivers)
        except ValueError:
            return [line.strip() for line in re.split(r"[;\n]", drivers) if line.strip()]
    if isinstance(drivers, dict):
        drivers = [drivers]
    if not isinstance(drivers, list):
        return [str(drivers)]
    lines = []
    for driver in drivers:
        if isinstance(driver, dict):
            lines.append(", ".join(f"{key}: {value}" for key, value in driver.items() if value is not None))
        else:
            lines.append(str(driver))
    return lines


def _anomalies(marts: Marts, **filters):
    rows = queries.anomalies(marts, **filters)
    if isinstance(rows, Unavailable):
        return rows
    for row in rows:
        row["scope"] = " / ".join(str(row[column]) for column in queries.ANOMALY_SCOPE_COLUMNS if row[column])
        row["driver_lines"] = _driver_lines(row["drivers"])
    return rows


def _anomaly_summary(marts: Marts) -> str:
    counts = queries.anomaly_counts(marts)
    if isinstance(counts, Unavailable):
        return ""
    if not counts:
        return "No anomaly found in the daily cost."
    parts = [f"{number} {status}" for status, number in sorted(counts.items())]
    return "Anomalies in the warehouse: " + ", ".join(parts) + ". The open ones, largest impact first:"


def _share_charts(rows: list[dict], team: str | None) -> list[tuple[str, str]]:
    if team is not None:
        rows = [row for row in rows if row["team"] == team]  # not the "all" line: it is the same
    return [(currency, charts.inference_share(group, currency)) for currency, group in _by_currency(rows).items()]


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _headline_cards(teams: list[dict], monthly_shares: list[dict], month: date) -> list[dict]:
    cards = []
    for currency, rows in _by_currency(teams).items():
        cards.append(
            {
                "label": f"Month to date, {currency}",
                "figure": f"{sum(row['month_to_date_cost'] for row in rows):,.0f}",
                "unit": currency,
                "detail": _plural(len(rows), "team"),
            }
        )
        with_forecast = [row for row in rows if row["forecast_cost"] is not None]
        if with_forecast:
            cards.append(
                {
                    "label": f"Forecast month end, {currency}",
                    "figure": f"{sum(row['forecast_cost'] for row in with_forecast):,.0f}",
                    "unit": currency,
                    "detail": f"sum of {_plural(len(with_forecast), 'team forecast')}",
                }
            )
    statuses = [row["status"] for row in teams if row["status"]]
    if statuses:
        cards.append(
            {
                "label": "Budgets",
                "figure": f"{statuses.count('over')} over",
                "unit": f"{statuses.count('at_risk')} at risk",
                "detail": f"{statuses.count('on_track')} on track, of {_plural(len(statuses), 'team budget')}",
            }
        )
    previous = (month - timedelta(days=1)).replace(day=1)
    for currency, rows in _by_currency(monthly_shares).items():
        share = {row["month"]: row["inference_cost"] / row["ai_cost"] for row in rows}
        if month not in share:
            continue
        before = f"{share[previous]:.0%} in {previous:%B}" if previous in share else f"no AI spend in {previous:%B}"
        cards.append(
            {
                "label": f"Inference share of AI, {currency}",
                "figure": f"{share[month]:.0%}",
                "unit": "",
                "detail": f"this month so far; {before}",
            }
        )
    return cards


def build_site(con: duckdb.DuckDBPyConnection, out_dir: Path, warehouse: str = "the warehouse") -> Site:
    """Write the report for the open month into `out_dir` (created; pages replaced)."""
    marts = Marts(con)
    if not marts.has("fct_cost_daily"):
        raise queries.MartContractError("the report needs marts.fct_cost_daily: run `chargeback build` first")
    month, through = queries.report_month(marts), queries.data_through(marts)
    if month is None:
        raise queries.MartContractError("marts.fct_cost_daily is empty: nothing to report yet")
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("team-*.html"):  # a team gone since the last report keeps no page
        stale.unlink()
    (out_dir / PLOTLY_JS).write_text(get_plotlyjs(), encoding="utf-8")
    env = environment()
    teams, forecasts_unavailable, budgets_unavailable = _team_rows(marts, month)
    team_list = sorted({row["team"] for row in teams})
    files = _file_names(team_list)
    for row in teams:
        row["file"] = files[row["team"]]
    names = queries.team_names(marts)
    since = (through or month) - timedelta(days=DAILY_DAYS - 1)
    shares = queries.inference_share_weekly(marts)
    common = {
        "team_pages": [{"team": team, "file": files[team]} for team in team_list],
        "month_label": month.strftime("%B %Y"),
        "data_through": through,
        "daily_days": DAILY_DAYS,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "warehouse": warehouse,
    }
    unit_costs = queries.unit_costs(marts, month)
    overview = env.get_template("overview.html").render(
        **common,
        title=f"AI spend, {common['month_label']}",
        current="index.html",
        forecast_note="" if forecasts_unavailable else "forecasts to month end with a 90% interval",
        cards=_headline_cards(teams, queries.inference_share_monthly(marts), month),
        teams=teams,
        forecasts_unavailable=forecasts_unavailable,
        budgets_unavailable=budgets_unavailable,
        month_charts=[
            (currency, charts.month_to_date_by_team(rows, currency)) for currency, rows in _by_currency(teams).items()
        ],
        daily_charts=[
            (currency, charts.daily_cost_by_phase(rows, currency))
            for currency, rows in _by_currency(queries.daily_cost_by_phase(marts, since)).items()
        ],
        share_charts=_share_charts(shares, None),
        unit_costs=unit_costs,
        anomaly_summary=_anomaly_summary(marts),
        anomalies=_anomalies(marts, open_only=True, limit=15),
        unallocated=queries.largest_unallocated(marts),
    )
    index = out_dir / "index.html"
    index.write_text(overview, encoding="utf-8")
    budgets = queries.budgets(marts, month)
    pages = {}
    for team in team_list:
        anomalies = _anomalies(marts, team=team)
        shaded = [] if isinstance(anomalies, Unavailable) else [row for row in anomalies if row["last_day"] >= since]
        month_days = [row for row in queries.daily_cost_by_phase(marts, month, team) if row["charge_date"] >= month]
        blocks = []
        for row in (row for row in teams if row["team"] == team):
            currency = row["billing_currency"]
            daily: dict[date, float] = defaultdict(float)
            for day in month_days:
                if day["billing_currency"] == currency:
                    daily[day["charge_date"]] += day["cost"]
            blocks.append(
                {
                    **row,
                    "currency": currency,
                    "forecast_missing": forecasts_unavailable.message if forecasts_unavailable else "no forecast",
                    "budget_missing": budgets_unavailable.message if budgets_unavailable else "no budget set",
                    "chart": charts.month_path(
                        month,
                        [{"charge_date": day, "cost": cost} for day, cost in daily.items()],
                        row if row["forecast_cost"] is not None else None,
                        row["budget_amount"],
                        currency,
                    ),
                }
            )
        page = env.get_template("team.html").render(
            **common,
            title=f"{team}: AI spend, {common['month_label']}",
            current=files[team],
            team=team,
            team_name=names.get(team) or team,
            currencies=blocks,
            budgets=budgets if isinstance(budgets, Unavailable) else [row for row in budgets if row["team"] == team],
            anomaly_shading=bool(shaded),
            daily_charts=[
                (currency, charts.daily_cost_by_phase(rows, currency, [a for a in shaded if _same(a, currency)]))
                for currency, rows in _by_currency(queries.daily_cost_by_phase(marts, since, team)).items()
            ],
            share_charts=_share_charts(shares, team),
            unit_costs=unit_costs if isinstance(unit_costs, Unavailable) else queries.unit_costs(marts, month, team),
            anomalies=anomalies,
        )
        pages[team] = out_dir / files[team]
        pages[team].write_text(page, encoding="utf-8")
    return Site(index=index, team_pages=pages)


def _same(anomaly: dict, currency: str) -> bool:
    """Whether an anomaly belongs on the chart of this currency (all of them when the mart has none)."""
    return anomaly["billing_currency"] in (None, currency)


def write_report(warehouse, out: Path) -> int:
    """`chargeback report --html`: the report of the published local warehouse (a DuckDBWarehouse)
    into `out`; prints where its index is. 1 when a mart lacks a column the report reads."""
    try:
        with warehouse.published_connection() as con:
            site = build_site(con, out, warehouse=str(warehouse.published))
    except queries.MartContractError as error:
        print(f"[chargeback] HTML report not written: {error}", file=sys.stderr)
        return 1
    print(f"\n[chargeback] HTML report ({len(site.team_pages)} team pages): {site.index}", flush=True)
    return 0
