"""The configuration check as a gate in front of dbt.

The seeds are dbt seeds, built inside the same `dbt build` as the models, so an asset check
on them would only run after the models were already built on a bad configuration. Instead
the dbt asset runs this gate first: on an invalid configuration the step fails before dbt
starts, with every problem in the failure's description and metadata, and no dbt asset
(seed, model or test) is materialized.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.configuration import ConfigurationError, require_valid_configuration


def configuration_failure(error: ConfigurationError) -> dg.Failure:
    """A Dagster failure listing each problem: seed, row, column and what is wrong."""
    table = ["| seed | row | line | column | problem |", "| --- | --- | --- | --- | --- |"]
    for problem in error.problems:
        cells = [problem.seed, problem.row or "", problem.line or "", problem.column or "", problem.message]
        table.append("| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |")
    return dg.Failure(
        description=str(error),
        metadata={
            "problem_count": dg.MetadataValue.int(len(error.problems)),
            "problems": dg.MetadataValue.md("\n".join(table)),
        },
        allow_retries=False,
    )


def check_configuration_before_dbt(context: dg.AssetExecutionContext, seeds_dir: Path) -> None:
    """Raise a dg.Failure, before dbt runs, when the seeds in `seeds_dir` are invalid."""
    try:
        require_valid_configuration(seeds_dir)
    except ConfigurationError as error:
        context.log.error(str(error))
        raise configuration_failure(error) from None
    context.log.info(f"configuration seeds in {seeds_dir} are valid")
