"""The report's pages: Jinja templates with autoescaping (team names, labels and drivers come from
billing data), the CSS inline, and a first script that records any script error on the page."""

from __future__ import annotations

import jinja2

PLOTLY_JS = "plotly.min.js"

# Runs before anything else: every script error, failed load or unhandled rejection is written
# into #script-errors, so a person sees it and a headless browser's DOM dump shows it.
ERROR_HOOK = """
window.reportScriptErrors = [];
function showReportScriptErrors() {
  var box = document.getElementById('script-errors');
  if (box && window.reportScriptErrors.length) {
    box.hidden = false;
    box.textContent = 'Script errors on this page:\\n' + window.reportScriptErrors.join('\\n');
  }
}
function recordReportScriptError(message) {
  window.reportScriptErrors.push(String(message));
  showReportScriptErrors();
}
window.addEventListener('error', function (event) {
  var target = event.target;
  if (target && target !== window && (target.src || target.href)) {
    recordReportScriptError('failed to load ' + (target.src || target.href));
  } else {
    recordReportScriptError(event.message + ' (' + (event.filename || '') + ':' + (event.lineno || '') + ')');
  }
}, true);
window.addEventListener('unhandledrejection', function (event) {
  recordReportScriptError('unhandled promise rejection: ' + event.reason);
});
document.addEventListener('DOMContentLoaded', showReportScriptErrors);
"""

CSS = """
:root { --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --panel: #ffffff; --page: #f6f7fb;
        --over: #dc2626; --risk: #d97706; --ok: #16a34a; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink);
       font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
nav { background: var(--ink); padding: 10px 28px; display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; }
nav a { color: #cbd5e1; font-size: 13px; } nav a.here { color: #fff; font-weight: 600; }
nav .brand { color: #fff; font-weight: 700; margin-right: 12px; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 48px; }
header h1 { margin: 0 0 2px; font-size: 26px; letter-spacing: -0.01em; }
header p { margin: 0; color: var(--muted); }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
          padding: 18px 20px; margin-top: 20px; }
section h2 { margin: 0 0 4px; font-size: 17px; } section > p.lead { margin: 0 0 12px; color: var(--muted); }
h3 { font-size: 14px; margin: 14px 0 4px; color: var(--muted); font-weight: 600; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 14px; margin-top: 20px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.card .figure { font-size: 24px; font-weight: 700; margin-top: 2px; font-variant-numeric: tabular-nums; }
.card .figure small { font-size: 13px; font-weight: 500; color: var(--muted); }
.card .detail { color: var(--muted); font-size: 12px; margin-top: 2px; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); padding: 6px 8px; }
td { border-bottom: 1px solid var(--line); padding: 6px 8px; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:last-child td { border-bottom: none; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600;
         white-space: nowrap; }
.badge.over { background: #fee2e2; color: var(--over); } .badge.at_risk { background: #fef3c7; color: #b45309; }
.badge.on_track { background: #dcfce7; color: #15803d; } .badge.none { background: #f1f5f9; color: var(--muted); }
.badge.new { background: #fee2e2; color: var(--over); } .badge.ongoing { background: #fef3c7; color: #b45309; }
.badge.resolved { background: #f1f5f9; color: var(--muted); }
.up { color: var(--over); } .down { color: var(--ok); }
.note { color: var(--muted); background: #f8fafc; border: 1px dashed #cbd5e1; border-radius: 8px;
        padding: 10px 12px; margin: 8px 0 0; }
.drivers { margin: 0; padding-left: 16px; color: #334155; } .drivers li { margin: 0; }
.muted { color: var(--muted); } code { font-size: 12px; background: #f1f5f9; padding: 0 4px; border-radius: 4px; }
#script-errors { background: #fee2e2; color: #991b1b; padding: 10px 28px; margin: 0; white-space: pre-wrap; }
footer { color: var(--muted); font-size: 12px; margin-top: 28px; }
"""

BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<script>{{ error_hook | safe }}</script>
<style>{{ css | safe }}</style>
<script src="{{ plotly_js }}"></script>
</head>
<body>
<pre id="script-errors" hidden></pre>
<nav>
  <span class="brand">ai-chargeback</span>
  <a href="index.html"{% if current == 'index.html' %} class="here"{% endif %}>Overview</a>
  {% for page in team_pages %}
  <a href="{{ page.file }}"{% if current == page.file %} class="here"{% endif %}>{{ page.team }}</a>
  {% endfor %}
</nav>
<main>
{% block content %}{% endblock %}
<footer>Generated {{ generated_at }} from the published marts of {{ warehouse }}.
Effective cost (after credits); amounts in their billing currency, never converted.</footer>
</main>
</body>
</html>
"""

MACROS = """
{% macro unavailable(part) %}<p class="note">{{ part.message }}</p>{% endmacro %}

{% macro status_badge(status) %}
{%- if status %}<span class="badge {{ status }}">{{ status | replace('_', ' ') }}</span>
{%- else %}<span class="badge none">no budget</span>{% endif -%}
{% endmacro %}

{% macro change(now, before) -%}
{%- if now is not none and before -%}
{%- set ratio = now / before - 1 -%}
<span class="{{ 'up' if ratio > 0 else 'down' }}">{{ '%+.1f' | format(ratio * 100) }}%</span>
{%- else %}<span class="muted">-</span>{% endif -%}
{%- endmacro %}

{% macro unit_cost_table(rows, show_team) %}
{% if rows.message is defined %}{{ unavailable(rows) }}
{% elif not rows %}<p class="note">No unit costs for this month.</p>
{% else %}
<table>
<tr>{% if show_team %}<th>team</th>{% endif %}<th>metric</th><th>subject</th><th class="num">quantity</th>
<th class="num">cost</th><th class="num">unit cost</th><th class="num">vs last month</th></tr>
{% for row in rows %}
<tr>{% if show_team %}<td>{{ row.team }}</td>{% endif %}<td>{{ row.metric }}</td><td>{{ row.subject or '' }}</td>
<td class="num">{{ row.quantity | number }} {{ row.quantity_unit }}</td>
<td class="num">{{ row.cost | money }} {{ row.billing_currency }}</td>
<td class="num">{{ row.unit_cost | unit_money }} {{ row.billing_currency }}</td>
<td class="num">{{ change(row.unit_cost, row.previous_unit_cost) }}</td></tr>
{% endfor %}
</table>
{% endif %}
{% endmacro %}

{% macro anomaly_table(rows, show_team) %}
{% if rows.message is defined %}{{ unavailable(rows) }}
{% elif not rows %}<p class="note">No anomalies.</p>
{% else %}
<table>
<tr><th>status</th>{% if show_team %}<th>team</th>{% endif %}<th>where</th><th>days</th>
<th class="num">expected</th><th class="num">actual</th><th class="num">impact</th><th>what drove it</th></tr>
{% for row in rows %}
<tr><td><span class="badge {{ row.status }}">{{ row.status }}</span></td>
{% if show_team %}<td>{{ row.team }}</td>{% endif %}
<td>{{ row.scope }}</td>
<td class="num">{{ row.first_day }}{% if row.last_day != row.first_day %} to {{ row.last_day }}{% endif %}</td>
<td class="num">{{ row.expected_cost | money }}</td><td class="num">{{ row.actual_cost | money }}</td>
<td class="num"><strong>{{ row.impact_cost | money }}</strong> {{ row.billing_currency or '' }}</td>
<td><ul class="drivers">{% for driver in row.driver_lines %}<li>{{ driver }}</li>{% endfor %}</ul></td></tr>
{% endfor %}
</table>
{% endif %}
{% endmacro %}
"""

OVERVIEW = """{% extends "base.html" %}{% import "macros.html" as m %}
{% block content %}
<header>
  <h1>AI spend, {{ month_label }}</h1>
  <p>Month to date through {{ data_through }}{% if forecast_note %}; {{ forecast_note }}{% endif %}.</p>
</header>

<div class="cards">
{% for card in cards %}
  <div class="card"><div class="label">{{ card.label }}</div>
  <div class="figure">{{ card.figure }}{% if card.unit %} <small>{{ card.unit }}</small>{% endif %}</div>
  {% if card.detail %}<div class="detail">{{ card.detail }}</div>{% endif %}</div>
{% endfor %}
</div>

<section>
  <h2>Teams this month</h2>
  <p class="lead">Month to date against budget, with the month-end forecast and its 90% interval.</p>
  {% if budgets_unavailable %}{{ m.unavailable(budgets_unavailable) }}{% endif %}
  {% if forecasts_unavailable %}{{ m.unavailable(forecasts_unavailable) }}{% endif %}
  <table>
  <tr><th>team</th><th class="num">month to date</th><th class="num">forecast month end</th>
  <th class="num">budget</th><th class="num">projected over / under</th><th>status</th></tr>
  {% for row in teams %}
  <tr><td><a href="{{ row.file }}">{{ row.team }}</a></td>
  <td class="num">{{ row.month_to_date_cost | money }} {{ row.billing_currency }}</td>
  <td class="num">{% if row.forecast_cost is not none %}{{ row.forecast_cost | money }}
    <span class="muted">({{ row.forecast_low | money }} to {{ row.forecast_high | money }})</span>
    {%- else %}<span class="muted">-</span>{% endif %}</td>
  <td class="num">{% if row.budget_amount is not none %}{{ row.budget_amount | money }}
    {%- else %}<span class="muted">-</span>{% endif %}</td>
  <td class="num">{% if row.projected_over_under is not none %}
    <span class="{{ 'up' if row.projected_over_under > 0 else 'down' }}">
      {{- row.projected_over_under | signed_money }}</span>
    {%- else %}<span class="muted">-</span>{% endif %}</td>
  <td>{{ m.status_badge(row.status) }}</td></tr>
  {% endfor %}
  </table>
  {% for currency, chart in month_charts %}<h3>{{ currency }}</h3>{{ chart | safe }}{% endfor %}
</section>

<section>
  <h2>Daily cost by workload phase</h2>
  <p class="lead">Every team, the last {{ daily_days }} days.</p>
  {% for currency, chart in daily_charts %}<h3>{{ currency }}</h3>{{ chart | safe }}{% endfor %}
</section>

<section>
  <h2>Inference share of AI spend</h2>
  <p class="lead">Inference cost over the cost of every AI phase, week by week: the margin question in one number.</p>
  {% for currency, chart in share_charts %}<h3>{{ currency }}</h3>{{ chart | safe }}{% else %}
  <p class="note">No AI spend in the warehouse.</p>{% endfor %}
</section>

<section>
  <h2>Unit costs, {{ month_label }}</h2>
  {{ m.unit_cost_table(unit_costs, true) }}
</section>

<section>
  <h2>Open anomalies</h2>
  <p class="lead">{{ anomaly_summary }}</p>
  {{ m.anomaly_table(anomalies, true) }}
</section>

<section>
  <h2>Largest unallocated costs</h2>
  <p class="lead">Costs no team owns: the resource, why it is unallocated and the label value seen,
  so owners can fix tags at the source.</p>
  {% if unallocated.message is defined %}{{ m.unavailable(unallocated) }}
  {% elif not unallocated %}<p class="note">Nothing is unallocated: every cost has an owner.</p>
  {% else %}
  <table>
  <tr><th>resource</th><th>project</th><th>service</th><th>reason</th><th>label seen</th><th>days</th>
  <th class="num">cost</th></tr>
  {% for row in unallocated %}
  <tr><td>{{ row.resource_name or row.resource_id or '(no resource)' }}</td><td>{{ row.sub_account_id or '' }}</td>
  <td>{{ row.service_name or '' }}</td><td>{{ row.unallocated_reason }}</td>
  <td>{% if row.team_label_value %}<code>{{ row.team_label_value }}</code>{% endif %}</td>
  <td class="num">{{ row.first_charge_date }} to {{ row.last_charge_date }}</td>
  <td class="num">{{ row.effective_cost | money }} {{ row.billing_currency }}</td></tr>
  {% endfor %}
  </table>
  {% endif %}
</section>
{% endblock %}
"""

TEAM = """{% extends "base.html" %}{% import "macros.html" as m %}
{% block content %}
<header>
  <h1>{{ team_name }}</h1>
  <p>{% if team_name != team %}<code>{{ team }}</code> · {% endif %}
  {{- month_label }}, month to date through {{ data_through }}.</p>
</header>

{% for block in currencies %}
<div class="cards">
  <div class="card"><div class="label">Month to date</div>
    <div class="figure">{{ block.month_to_date_cost | money }} <small>{{ block.currency }}</small></div></div>
  <div class="card"><div class="label">Forecast month end</div>
    {% if block.forecast_cost is not none %}
    <div class="figure">{{ block.forecast_cost | money }} <small>{{ block.currency }}</small></div>
    <div class="detail">90% interval {{ block.forecast_low | money }} to {{ block.forecast_high | money }}</div>
    {% else %}<div class="figure muted">-</div><div class="detail">{{ block.forecast_missing }}</div>{% endif %}</div>
  <div class="card"><div class="label">Budget</div>
    {% if block.budget_amount is not none %}
    <div class="figure">{{ block.budget_amount | money }} <small>{{ block.currency }}</small></div>
    <div class="detail">{% if block.projected_over_under is not none %}
      projected {{ block.projected_over_under | signed_money }}{% endif %}</div>
    {% else %}<div class="figure muted">-</div><div class="detail">{{ block.budget_missing }}</div>{% endif %}</div>
  <div class="card"><div class="label">Status</div><div class="figure">{{ m.status_badge(block.status) }}</div></div>
</div>
<section>
  <h2>The month so far ({{ block.currency }})</h2>
  <p class="lead">Cumulative cost day by day; from the last day with data, the forecast and its 90% interval
  to month end.</p>
  {{ block.chart | safe }}
</section>
{% endfor %}

<section>
  <h2>Budgets</h2>
  {% if budgets.message is defined %}{{ m.unavailable(budgets) }}
  {% elif not budgets %}<p class="note">No budget for this team this month.</p>
  {% else %}
  <table>
  <tr><th>phase</th><th>provider</th><th class="num">budget</th><th class="num">month to date</th>
  <th class="num">forecast</th><th class="num">projected over / under</th><th>status</th></tr>
  {% for row in budgets %}
  <tr><td>{{ row.workload_phase }}</td><td>{{ row.provider_name }}</td>
  <td class="num">{{ row.budget_amount | money }} {{ row.billing_currency }}</td>
  <td class="num">{{ row.month_to_date_cost | money }}</td>
  <td class="num">{{ row.forecast_cost | money }}
    <span class="muted">({{ row.forecast_low | money }} to {{ row.forecast_high | money }})</span></td>
  <td class="num">{{ row.projected_over_under | signed_money }}</td><td>{{ m.status_badge(row.status) }}</td></tr>
  {% endfor %}
  </table>
  {% endif %}
</section>

<section>
  <h2>Daily cost by workload phase</h2>
  <p class="lead">The last {{ daily_days }} days{% if anomaly_shading %}; shaded: the days of an anomaly{% endif %}.</p>
  {% for currency, chart in daily_charts %}<h3>{{ currency }}</h3>{{ chart | safe }}{% else %}
  <p class="note">No cost in these days.</p>{% endfor %}
</section>

<section>
  <h2>Inference share of AI spend</h2>
  {% for currency, chart in share_charts %}<h3>{{ currency }}</h3>{{ chart | safe }}{% else %}
  <p class="note">This team has no AI spend.</p>{% endfor %}
</section>

<section>
  <h2>Unit costs, {{ month_label }}</h2>
  {{ m.unit_cost_table(unit_costs, false) }}
</section>

<section>
  <h2>Anomalies</h2>
  {{ m.anomaly_table(anomalies, false) }}
</section>
{% endblock %}
"""


def _money(value) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _signed_money(value) -> str:
    return "-" if value is None else f"{value:+,.2f}"


def _unit_money(value) -> str:
    """Unit costs can be fractions of a cent (per token) or thousands (per GPU month)."""
    if value is None:
        return "-"
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"


def _number(value) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.DictLoader(
            {"base.html": BASE, "macros.html": MACROS, "overview.html": OVERVIEW, "team.html": TEAM}
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=_money, signed_money=_signed_money, unit_money=_unit_money, number=_number)
    env.globals.update(css=CSS, error_hook=ERROR_HOOK, plotly_js=PLOTLY_JS)
    return env
