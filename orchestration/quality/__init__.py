"""Data-quality checks: Great Expectations suites (suites.py) run as Dagster asset checks (gx_checks.py)."""
