"""Is the GCP billing export still arriving? Freshness of the data, checked in Dagster.

Three asset checks on the export asset (``gcp_billing_export/detailed_usage_cost``), run by
``gcp_export_freshness_job`` every hour (orchestration/jobs.py), by ``chargeback freshness`` and
after ``chargeback build``:

* ``export_time_freshness``: the newest ``export_time`` in the export (wherever the dbt source
  says it is: the local raw table, or the export table read in place on BigQuery) against now.
  Passes within ``warn_after``; fails with severity WARN beyond it and ERROR beyond
  ``error_after``. A newest export_time more than the clock-skew tolerance in the future is an
  ERROR too (one wrong row would otherwise pass until its date); the check then says how fresh
  the export is without such rows. Its metadata says the newest export_time, the lag in hours
  and the thresholds.
* ``export_day_gaps``: a day of the recent window without any export row, before a later day
  that has rows, fails with ERROR and is named: later days hide such a hole from the newest
  export_time (a day Google did not export, or locally an extract that never loaded).
* ``dbt_source_freshness``: ``dbt source freshness`` of the same source, its pass / warn / error
  turned into the check's result, so the freshness block of
  ``models/staging/gcp_billing_export/_gcp_billing_export__sources.yml`` is run, not only declared.
  Its max export_time is judged for the future by the same function as the first check. A
  verdict is read only when it is this run's, against the checked warehouse (`dbt_run`);
  otherwise the check fails saying dbt could not look, with dbt's own error.

All use the rules of that dbt source (read from the manifest): the thresholds of its freshness
block, and in its ``meta`` the clock-skew tolerance and the gap window, so dbt and Dagster cannot
disagree about what "stale" means; the YAML is the one place to change them.

Why a check of our own rather than Dagster's built-in freshness (checked in Dagster 1.13.27):
``dg.build_last_update_freshness_checks`` and ``dg.FreshnessPolicy`` measure how long ago the
asset was last *materialized*. A stalled export does not stop our materializations (the daily
schedule ingests the landing folder every morning and materializes the asset even when nothing
new has arrived), and on BigQuery the export is an external asset that is never materialized.
What says whether Google is still exporting is the data: ``max(export_time)``. Google appends rows
with the time it wrote them, several times a day, and never updates a row, so that maximum only
moves while the export works.

Modules: `thresholds` (the dbt source's rules), `readers` (the newest export_time, the recent
days), `dbt_run` (dbt's run, and proof that its verdict is this run's), `verdicts` (a reading as
a check result, pure), `asset_checks` (the Dagster checks).
"""
