"""The report's charts (plotly), each rendered as a <div> whose script draws it with the plotly.js
that every page loads once (written beside the pages, never fetched from the network)."""

from __future__ import annotations

import calendar
import html
from collections import defaultdict
from datetime import date, timedelta
from itertools import count

import plotly.graph_objects as go
import plotly.io as pio

from orchestration.spend import ALL

# One colour per workload phase on every chart, AI phases in cool colours, the rest in greys.
PHASE_COLOURS = {
    "inference": "#2563eb",
    "training": "#7c3aed",
    "fine_tuning": "#c026d3",
    "data_preparation": "#0891b2",
    "experimentation": "#14b8a6",
    "non_ai": "#94a3b8",
    "unclassified": "#cbd5e1",
}
OTHER_PHASE_COLOUR = "#f59e0b"
STATUS_COLOURS = {"on_track": "#16a34a", "at_risk": "#d97706", "over": "#dc2626"}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
# No toolbar over the charts (hover and drag-to-zoom still work; double-click resets).
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}

_chart_numbers = count(1)


def _html(figure: go.Figure, height: int = 340) -> str:
    figure.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        font={"family": FONT, "size": 12, "color": "#1f2937"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hoverlabel={"font": {"family": FONT}},
    )
    figure.update_xaxes(automargin=True)
    figure.update_yaxes(automargin=True)
    return pio.to_html(
        figure,
        include_plotlyjs=False,
        full_html=False,
        config=PLOTLY_CONFIG,
        div_id=f"chart-{next(_chart_numbers)}",
        default_height=f"{height}px",
    )


def _label(text: str) -> str:
    """Chart text from the data (a team, a phase): plotly reads a few HTML tags in labels (links,
    bold), so they are escaped to show as typed."""
    return html.escape(str(text), quote=False)


def _money_axis(currency: str) -> dict:
    # "," alone: thousands separated, decimals only where the scale needs them (small amounts).
    return {"title": {"text": currency}, "tickformat": ",", "rangemode": "tozero"}


def month_to_date_by_team(teams: list[dict], currency: str) -> str:
    """Per team: month-to-date cost (bar), forecast month end with its interval (diamond and
    whiskers), budget (a tick). `teams`: rows of one currency, largest first."""
    teams = list(reversed(teams))  # plotly draws the first category at the bottom
    names = [_label(row["team"]) for row in teams]
    figure = go.Figure()
    figure.add_bar(
        y=names,
        x=[row["month_to_date_cost"] for row in teams],
        orientation="h",
        name="month to date",
        marker_color=[STATUS_COLOURS.get(row.get("status"), "#64748b") for row in teams],
        hovertemplate="%{y}: %{x:,.2f} " + currency + " so far<extra></extra>",
    )
    forecast = [row for row in teams if row.get("forecast_cost") is not None]
    if forecast:
        figure.add_scatter(
            y=[_label(row["team"]) for row in forecast],
            x=[row["forecast_cost"] for row in forecast],
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [row["forecast_high"] - row["forecast_cost"] for row in forecast],
                "arrayminus": [row["forecast_cost"] - row["forecast_low"] for row in forecast],
                "color": "#334155",
                "thickness": 1.5,
            },
            mode="markers",
            marker={"symbol": "diamond", "size": 10, "color": "#0f172a"},
            name="forecast month end (90% interval)",
            hovertemplate="%{y}: forecast %{x:,.2f} " + currency + "<extra></extra>",
        )
    budgeted = [row for row in teams if row.get("budget_amount") is not None]
    if budgeted:
        figure.add_scatter(
            y=[_label(row["team"]) for row in budgeted],
            x=[row["budget_amount"] for row in budgeted],
            mode="markers",
            marker={"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": "#dc2626"}},
            name="budget",
            hovertemplate="%{y}: budget %{x:,.2f} " + currency + "<extra></extra>",
        )
    figure.update_xaxes(**_money_axis(currency))
    return _html(figure, height=max(220, 60 + 34 * len(names)))


def month_path(
    month: date, daily: list[dict], forecast: dict | None, budget_amount: float | None, currency: str
) -> str:
    """One team's month: cumulative cost day by day, and from the last day with data to month
    end the forecast's interval as a band (drawn straight: the forecast gives its end, not its path)."""
    month_end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    days, cumulative, total = [], [], 0.0
    for row in sorted(daily, key=lambda row: row["charge_date"]):
        total += float(row["cost"])
        days.append(row["charge_date"])
        cumulative.append(total)
    figure = go.Figure()
    if forecast is not None and forecast.get("forecast_cost") is not None:
        start_day = forecast.get("data_through") or (days[-1] if days else month)
        start_cost = float(forecast.get("month_to_date_cost") or total)
        band_x = [start_day, month_end, month_end, start_day]
        band_y = [start_cost, float(forecast["forecast_high"]), float(forecast["forecast_low"]), start_cost]
        figure.add_scatter(
            x=band_x,
            y=band_y,
            fill="toself",
            fillcolor="rgba(37, 99, 235, 0.15)",
            line={"width": 0},
            name="forecast, 90% interval",
            hoverinfo="skip",
        )
        figure.add_scatter(
            x=[start_day, month_end],
            y=[start_cost, float(forecast["forecast_cost"])],
            mode="lines+markers",
            line={"dash": "dash", "color": "#2563eb"},
            name="forecast",
            hovertemplate="%{x|%b %d}: %{y:,.2f} " + currency + "<extra>forecast</extra>",
        )
    figure.add_scatter(
        x=days,
        y=cumulative,
        mode="lines+markers",  # markers: the first day of a month is a single point
        line={"color": "#0f172a", "width": 2.5},
        marker={"size": 6},
        cliponaxis=False,
        name="month to date",
        hovertemplate="%{x|%b %d}: %{y:,.2f} " + currency + "<extra>so far</extra>",
    )
    if budget_amount is not None:
        figure.add_scatter(
            x=[month, month_end],
            y=[float(budget_amount)] * 2,
            mode="lines",
            line={"color": "#dc2626", "width": 2},
            name="budget",
            hovertemplate="budget %{y:,.2f} " + currency + "<extra></extra>",
        )
    figure.update_xaxes(range=[month - timedelta(hours=12), month_end + timedelta(hours=12)])
    figure.update_yaxes(**_money_axis(currency))
    return _html(figure)


def daily_cost_by_phase(rows: list[dict], currency: str, anomalies: list[dict] = ()) -> str:
    """Effective cost per day stacked by workload phase; anomaly windows shaded when given."""
    by_phase: dict[str, dict[date, float]] = defaultdict(dict)
    for row in rows:
        by_phase[row["workload_phase"]][row["charge_date"]] = float(row["cost"])
    order = [phase for phase in PHASE_COLOURS if phase in by_phase] + sorted(set(by_phase) - set(PHASE_COLOURS))
    figure = go.Figure()
    for phase in order:
        points = sorted(by_phase[phase].items())
        figure.add_bar(
            x=[day for day, _ in points],
            y=[cost for _, cost in points],
            name=_label(phase),
            marker_color=PHASE_COLOURS.get(phase, OTHER_PHASE_COLOUR),
            hovertemplate="%{x|%b %d}: %{y:,.2f} " + currency + "<extra>" + _label(phase) + "</extra>",
        )
    for anomaly in anomalies:
        figure.add_vrect(
            x0=anomaly["first_day"] - timedelta(hours=12),
            x1=anomaly["last_day"] + timedelta(hours=12),
            fillcolor="#dc2626",
            opacity=0.12,
            line_width=0,
        )
    figure.update_layout(barmode="relative", bargap=0.1)
    figure.update_yaxes(**_money_axis(currency))
    return _html(figure)


def inference_share(rows: list[dict], currency: str) -> str:
    """Inference cost as a share of AI cost, week by week: one line per team, all teams in bold."""
    by_team: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_team[row["team"]].append(row)
    figure = go.Figure()
    for team in sorted(by_team, key=lambda name: (name == ALL, name)):
        points = sorted(by_team[team], key=lambda row: row["week"])
        is_all = team == ALL
        name = "all teams" if is_all else _label(team)
        figure.add_scatter(
            x=[row["week"] for row in points],
            y=[float(row["inference_cost"]) / float(row["ai_cost"]) for row in points],
            mode="lines+markers",
            name=name,
            line={"width": 4 if is_all else 1.5, "color": "#0f172a" if is_all else None},
            marker={"size": 6 if is_all else 4},
            opacity=1 if is_all else 0.75,
            hovertemplate="week of %{x|%b %d}: %{y:.1%}<extra>" + name + "</extra>",
        )
    figure.update_yaxes(tickformat=".0%", range=[0, 1.02], title={"text": f"inference / AI cost ({currency})"})
    return _html(figure)
