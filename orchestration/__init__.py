"""ai-chargeback's Dagster code: ingestion, the dbt project as assets, schedules, sensors and the CLI."""
