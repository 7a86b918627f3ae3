"""How dbt nodes appear in Dagster: one translator for the whole project."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

# Folder under models/ (or the resource type) → Dagster asset group.
_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}


class ChargebackDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "configuration"
        folder = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else None
        return _GROUPS.get(folder, "transform")

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        # Sources keep dagster-dbt's default key [source, table], which is the key of the
        # ingestion asset that loads them, so the graph runs from files to marts.
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey([dbt_resource_props["name"]])
