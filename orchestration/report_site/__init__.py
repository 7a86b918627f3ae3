"""The HTML report: an overview and a page per team, from the published marts (`chargeback report --html`)."""

from orchestration.report_site.site import Site, build_site

__all__ = ["Site", "build_site"]
