"""The BigQuery publication: the marts dbt built and checked in `<dataset>_build` replace those
of `<dataset>`, which readers query, all at once (BigQueryWarehouse.publish runs it; the step
and its guards are in publication.py).

One multi-statement transaction replaces the rows of every published mart (DELETE, then
INSERT ... SELECT from the build dataset): readers see the previous build until it commits and
the new one after, never a mixture, and are never blocked (BigQuery's snapshot isolation); a
statement that fails rolls it all back. DDL cannot run in a transaction, so a mart that is new,
or whose columns changed (a new release), is first replaced by a copy job: until the commit a
moment later it is ahead of the others. Descriptions (dbt's persist_docs) follow last, as
metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from orchestration.transform.project import Relation


def publish_marts(client, built: Sequence[Relation], published_dataset: str, location: str | None) -> tuple[str, int]:
    """Publish the `built` marts into `published_dataset` (created if absent, in `location`) of
    their project with `client` (a google.cloud.bigquery.Client); returns the published
    `project.dataset` and the bytes of the marts."""
    from google.api_core.exceptions import NotFound
    from google.cloud import bigquery

    [project] = {mart.database for mart in built}
    dataset = bigquery.Dataset(f"{project}.{published_dataset}")
    dataset.location = location
    client.create_dataset(dataset, exists_ok=True)
    sources, in_transaction = {}, []
    for mart in built:
        published = Relation(project, published_dataset, mart.identifier)
        sources[published] = client.get_table(mart.table_id)
        try:
            same = _structure(client.get_table(published.table_id).schema) == _structure(sources[published].schema)
        except NotFound:
            same = False
        if same:
            in_transaction.append((mart, published))
        else:
            copy = bigquery.CopyJobConfig(write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE)
            client.copy_table(mart.table_id, published.table_id, job_config=copy).result()
    if in_transaction:
        client.query(_replace_rows_in_one_transaction(in_transaction, sources)).result()
    for published, source in sources.items():
        target = client.get_table(published.table_id)
        if (target.description, target.schema) != (source.description, source.schema):
            target.description, target.schema = source.description, source.schema
            client.update_table(target, ["description", "schema"])
    return f"{project}.{published_dataset}", sum(table.num_bytes or 0 for table in sources.values())


def _replace_rows_in_one_transaction(
    marts: Sequence[tuple[Relation, Relation]], sources: Mapping[Relation, Any]
) -> str:
    """The script that gives each published mart the rows of its built one, in one transaction
    (BigQuery rolls a script's open transaction back when a statement fails)."""
    statements = ["BEGIN TRANSACTION;"]
    for built, published in marts:
        columns = ", ".join(f"`{field.name}`" for field in sources[published].schema)
        statements += [
            f"DELETE FROM `{published.table_id}` WHERE TRUE;",
            f"INSERT INTO `{published.table_id}` ({columns}) SELECT {columns} FROM `{built.table_id}`;",
        ]
    return "\n".join([*statements, "COMMIT TRANSACTION;"])


def _structure(schema) -> tuple:
    """A BigQuery schema's columns, types and modes, nested ones included (not descriptions)."""
    return tuple((field.name, field.field_type, field.mode, _structure(field.fields)) for field in schema)
