"""The HTML report (`chargeback report --html`): built from a small warehouse, every page opened in
headless Chromium, every chart drawn and no script error; absent marts said plainly; user data
escaped; nothing fetched from the network."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from headless_chromium import ChromiumMissing, dump_dom, read_rendered
from report_warehouse import CONTRACT_MART_TABLES, HOSTILE_TEAM, PROJECT_ROOT, REAL_MART_TABLES, build_report_warehouse

from orchestration.report_site.queries import CONTRACT, MartContractError
from orchestration.report_site.site import build_site


def _rendered(page: Path):
    try:
        return read_rendered(dump_dom(page))
    except ChromiumMissing as missing:
        pytest.fail(str(missing))  # never skipped: CI installs it (make chromium)


def _site(tmp_path: Path, name: str, **warehouse_options):
    warehouse = build_report_warehouse(tmp_path / f"{name}.duckdb", **warehouse_options)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return build_site(con, tmp_path / name)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return _site(tmp_path_factory.mktemp("report"), "site")


@pytest.fixture(scope="module")
def site_without_parallel_marts(tmp_path_factory):
    return _site(tmp_path_factory.mktemp("report"), "site", parallel_marts=False)


def _pages(site) -> list[Path]:
    return [site.index, *site.team_pages.values()]


def test_every_page_draws_every_chart_without_a_script_error(site):
    assert len(site.team_pages) == 6  # every team with cost, the unallocated and the hostile name included
    for page in _pages(site):
        rendered = _rendered(page)
        assert rendered.error_box_found, page
        assert rendered.script_errors == "", f"{page.name}: {rendered.script_errors}"
        # Overview: month to date, daily cost, inference share, each in 2 currencies; a team page
        # at least its month so far and its daily cost.
        assert len(rendered.charts) >= (6 if page == site.index else 2), (page.name, rendered.charts)
        assert rendered.unrendered == [], f"{page.name}: charts not drawn: {rendered.unrendered}"


def test_the_check_catches_a_script_error_and_a_chart_not_drawn(site, tmp_path):
    """The browser check can fail: a page with a broken script, and a folder without plotly.js."""
    broken = tmp_path / "broken.html"
    broken_script = "<script>window.noSuchReportFunction();</script></body>"
    broken.write_text(site.index.read_text().replace("</body>", broken_script))
    shutil.copy(site.index.parent / "plotly.min.js", tmp_path / "plotly.min.js")
    rendered = _rendered(broken)
    assert "noSuchReportFunction" in rendered.script_errors
    assert rendered.unrendered == []  # the charts before the broken script still drew

    no_plotly = tmp_path / "no-plotly"
    no_plotly.mkdir()
    shutil.copy(site.index, no_plotly / "index.html")
    rendered = _rendered(no_plotly / "index.html")
    assert "failed to load" in rendered.script_errors and "plotly.min.js" in rendered.script_errors
    assert "Plotly is not defined" in rendered.script_errors
    assert rendered.charts and len(rendered.unrendered) == len(rendered.charts)


def test_headline_figures_and_every_part_are_on_the_overview(site):
    html = site.index.read_text()
    assert "AI spend, September 2026" in html and "through 2026-09-14" in html
    for heading in ("Teams this month", "Daily cost by workload phase", "Inference share of AI spend",
                    "Unit costs, September 2026", "Open anomalies", "Largest unallocated costs"):  # fmt: skip
        assert heading in html
    assert "Not available" not in html
    # Statuses from fct_budget_status; teams without a budget say so.
    for status in ("over", "at risk", "on track", "no budget"):
        assert f">{status}</span>" in html
    assert "old-h100-runner" in html and "serch-ranking" in html  # the unallocated resources and the label seen
    assert "endpoints/chat-assist-prod" in html  # an open anomaly's driver
    assert "vm/train-7" not in html  # a resolved one is on its team's page only
    assert "vm/train-7" in site.team_pages["foundation-models"].read_text()


def test_a_team_page_has_its_own_figures_and_phase_budgets(site):
    html = site.team_pages["inference-platform"].read_text()
    assert "The month so far (EUR)" in html and "The month so far (USD)" in html
    assert "<td>inference</td><td>all</td>" in html  # the phase budget
    assert "cost per million output tokens" in html and "cost per GPU hour" not in html
    assert "shaded: the days of an anomaly" in html


def test_absent_marts_are_said_plainly(site_without_parallel_marts):
    for page in _pages(site_without_parallel_marts):
        html = page.read_text()
        for mart in ("fct_budget_status", "fct_unit_costs", "fct_cost_anomalies"):
            assert f"Not available: this warehouse has no marts.{mart}" in html, (page.name, mart)
    overview = site_without_parallel_marts.index.read_text()
    assert "Not available: this warehouse has no marts.fct_month_end_forecast" in overview
    rendered = _rendered(site_without_parallel_marts.index)
    assert rendered.script_errors == "" and rendered.charts and rendered.unrendered == []


def test_team_names_from_the_data_are_escaped(site):
    html = site.index.read_text()
    assert HOSTILE_TEAM not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&amp;r&amp;d" in html
    assert site.team_pages[HOSTILE_TEAM].name == "team-img-src-x-onerror-alert-1-r-d.html"
    # In the browser too: the charts' labels show the name as typed, no element made of it.
    dom = dump_dom(site.index)
    assert "<img" not in dom and "&lt;img src=x onerror=" in dom


def test_nothing_is_fetched_from_the_network(site):
    for page in _pages(site):
        references = re.findall(r"""<(?:script|link|img|iframe)[^>]*?(?:src|href)=["']([^"']+)""", page.read_text())
        assert references == ["plotly.min.js"], (page.name, references)
    assert (site.index.parent / "plotly.min.js").stat().st_size > 1_000_000


def test_a_mart_without_its_contract_columns_is_a_clear_error(tmp_path):
    warehouse = build_report_warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table marts.fct_unit_costs drop column unit_cost")
    with duckdb.connect(str(warehouse), read_only=True) as con, pytest.raises(MartContractError) as error:
        build_site(con, tmp_path / "site")
    assert "marts.fct_unit_costs lacks the column(s) the report reads: unit_cost" in str(error.value)


def test_the_fixture_tables_match_the_real_marts_and_the_contract(tmp_path):
    """The report's tests read fixtures: these must keep the real marts' columns (the marts' YAML),
    and those carry every column the report reads."""
    documented = {}
    for path in (PROJECT_ROOT / "models/marts").glob("*/*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            documented[model["name"]] = [column["name"] for column in model["columns"]]
    with duckdb.connect(str(build_report_warehouse(tmp_path / "w.duckdb")), read_only=True) as con:
        for mart in {**REAL_MART_TABLES, **CONTRACT_MART_TABLES}:
            columns = [row[0] for row in con.execute(f"describe marts.{mart}").fetchall()]
            assert columns == documented[mart], mart
            assert set(CONTRACT.get(mart, ())) <= set(columns), mart


def test_the_open_month_is_the_newest_with_cost_not_a_budget_set_ahead(tmp_path):
    warehouse = build_report_warehouse(tmp_path / "w.duckdb", hostile_team=False)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into marts.fct_budget_status select date '2026-10-01', budget_id || '-october', team, "
            "workload_phase, provider_name, billing_currency, budget_amount, 0, 0, 0, 0, -budget_amount, "
            "'on_track', owner_contact, null from marts.fct_budget_status"
        )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        site = build_site(con, tmp_path / "site")
    assert "AI spend, September 2026" in site.index.read_text()


def test_a_team_with_nothing_in_a_currency_this_month_has_no_line_for_it(tmp_path):
    """The forecast mart keeps a zero series for a currency a team spent in before."""
    warehouse = build_report_warehouse(tmp_path / "w.duckdb", hostile_team=False)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into marts.fct_month_end_forecast select charge_month, 'web-app', workload_phase, provider_name, "
            "'EUR', data_through, settled_through, 0, 0, 0, 0, 0, method from marts.fct_month_end_forecast "
            "where team = 'inference-platform' and billing_currency = 'EUR' and workload_phase = 'all'"
        )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        site = build_site(con, tmp_path / "site")
    html = site.index.read_text()
    assert html.count(" EUR</td>") == 1 and "0.00 EUR" not in html  # inference-platform's line only
