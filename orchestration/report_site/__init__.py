"""The HTML report: an overview and a page per team, from the published marts (`chargeback report --html`).

`site.build_site` writes it; `queries` reads the marts, `charts` draws, `templates` lays out."""

from pathlib import Path


def write_report(warehouse, out: Path) -> int:
    """The report of the published local warehouse into `out` (site.write_report); imported by the
    CLI at start, so plotly and the templates load only when a report is written."""
    from orchestration.report_site.site import write_report as write

    return write(warehouse, out)
