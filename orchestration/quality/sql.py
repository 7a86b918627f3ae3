"""The SQL the quality checks run, for DuckDB and for BigQuery.

Every check is "query the warehouse for a small table of figures, then let a Great Expectations
suite judge that table" (GX has no DuckDB SQL data source). The queries aggregate in the
warehouse, so what travels to Python is one row per day, per field or per invoice month, never
line items. The SQL is written once in the subset both warehouses share (`sum`, `case`,
`coalesce`, `lag() over`, `concat`, `substr`, `cast`); the few places that differ (relation
names, money type, summing a repeated record, the columns catalog) go through `Dialect`, the
same split the dbt macros make with `adapter.dispatch`. tests/python/test_quality_sql.py parses
every statement with sqlglot's BigQuery dialect and runs the DuckDB one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Fields a row of the export cannot be charged back without, with the kind of column each is
# (the kind, not the full type: a struct gaining members is normal schema drift). A dotted name
# is a member of a RECORD column: presence and type are checked on the column, nulls on the member.
REQUIRED_FIELDS: tuple[tuple[str, str], ...] = (
    ("billing_account_id", "STRING"),
    ("service.id", "RECORD"),
    ("sku.id", "RECORD"),
    ("usage_start_time", "TIMESTAMP"),
    ("usage_end_time", "TIMESTAMP"),
    ("export_time", "TIMESTAMP"),
    ("cost", "FLOAT"),
    ("currency", "STRING"),
    ("invoice.month", "RECORD"),
    ("cost_type", "STRING"),
)
# Columns that must exist with their kind, nulls allowed (a row may have no project or credits).
TYPED_FIELDS: tuple[tuple[str, str], ...] = (
    ("project", "RECORD"),
    ("labels", "REPEATED"),
    ("credits", "REPEATED"),
)


@dataclass(frozen=True)
class Relation:
    """A table or view: `schema` is a DuckDB schema or a BigQuery dataset."""

    schema: str
    name: str
    database: str | None = None  # BigQuery project; None: the connection's default


class Dialect:
    """DuckDB SQL; BigQuery overrides what differs."""

    name = "duckdb"

    def relation(self, relation: Relation) -> str:
        parts = [p for p in (relation.database, relation.schema, relation.name) if p]
        return ".".join(_quote_duckdb(p) for p in parts)

    def money(self, expression: str) -> str:
        return f"cast({expression} as decimal(38,9))"

    def float_type(self) -> str:
        return "double"

    def sum_credits(self, column: str) -> str:
        # Same arithmetic as the dbt macro sum_credits: each amount made exact, then summed.
        return (
            f"coalesce(list_sum(list_transform({column}, lambda credit: {self.money('credit.amount')})), "
            f"{self.money(0)})"
        )

    def columns_query(self, relation: Relation) -> str:
        """column_name, data_type of the relation's columns."""
        database = f"{_quote_duckdb(relation.database)}." if relation.database else ""
        return (
            f"select column_name, data_type from {database}information_schema.columns "
            f"where table_schema = '{_literal(relation.schema)}' and table_name = '{_literal(relation.name)}'"
        )

    def column_kind(self, data_type: str) -> str:
        """The kind of a DuckDB type as the export schema names it."""
        text = data_type.strip().upper()
        if text.endswith("[]"):
            return "REPEATED"
        if text.startswith("STRUCT"):
            return "RECORD"
        if text.startswith(("VARCHAR", "TEXT", "STRING")):
            return "STRING"
        if text.startswith(("DOUBLE", "FLOAT", "REAL")):
            return "FLOAT"
        if text.startswith(("DECIMAL", "NUMERIC")):
            return "NUMERIC"
        if text.startswith("TIMESTAMP"):
            return "TIMESTAMP"
        if text.startswith("BOOL"):
            return "BOOLEAN"
        return text


class BigQueryDialect(Dialect):
    name = "bigquery"

    def relation(self, relation: Relation) -> str:
        parts = [p for p in (relation.database, relation.schema, relation.name) if p]
        return "`" + ".".join(parts).replace("`", "") + "`"

    def money(self, expression: str) -> str:
        return f"cast({expression} as numeric)"

    def float_type(self) -> str:
        return "float64"

    def sum_credits(self, column: str) -> str:
        # A subquery per row over its own credits: never `cross join unnest`, which would
        # multiply the row's cost by its number of credits.
        return (
            f"coalesce((select sum({self.money('credit.amount')}) from unnest({column}) as credit), "
            f"{self.money(0)})"
        )

    def columns_query(self, relation: Relation) -> str:
        dataset = Relation(relation.schema, "INFORMATION_SCHEMA", relation.database)
        return (
            f"select column_name, data_type from {self.relation(dataset)}.COLUMNS "
            f"where table_name = '{_literal(relation.name)}'"
        )

    def column_kind(self, data_type: str) -> str:
        text = data_type.strip().upper()
        if text.startswith("ARRAY<"):
            return "REPEATED"
        if text.startswith("STRUCT<"):
            return "RECORD"
        if text in ("FLOAT64", "FLOAT"):
            return "FLOAT"
        if text.startswith(("NUMERIC", "BIGNUMERIC")):
            return "NUMERIC"
        if text in ("BOOL", "BOOLEAN"):
            return "BOOLEAN"
        return text


DIALECTS = {"duckdb": Dialect(), "bigquery": BigQueryDialect()}


def _quote_duckdb(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return text.replace("'", "''")


def _column(name: str) -> str:
    # Export field names are plain identifiers; refuse anything else rather than quote it.
    if not re.fullmatch(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?", name):
        raise ValueError(f"not a plain export field name: {name!r}")
    return name


# --------------------------------------------------------------------------------------------
# the checks' queries
# --------------------------------------------------------------------------------------------
def tag_coverage_sql(dialect: Dialect, coverage: Relation) -> str:
    """Per provider and usage day: effective cost and what tags, rules, pools attributed.

    From fct_tag_coverage_daily (day × provider × sub-account), summed over sub-accounts."""
    return f"""
select
    provider_name,
    charge_date,
    sum(effective_cost) as effective_cost,
    sum(tag_attributed_cost) as tag_attributed_cost,
    sum(rule_attributed_cost) as rule_attributed_cost,
    sum(shared_allocated_cost) as shared_allocated_cost,
    sum(unallocated_cost) as unallocated_cost,
    sum(line_item_count) as line_item_count
from {dialect.relation(coverage)}
group by provider_name, charge_date
order by provider_name, charge_date
""".strip()


def unattributed_offenders_sql(dialect: Dialect, line_items: Relation, limit: int = 10) -> str:
    """The sub-accounts and services with the most effective cost no tag attributed
    (rules, unallocated; shares of pooled costs are attributed by policy, not missing tags)."""
    return f"""
select
    provider_name,
    coalesce(sub_account_id, '(no project)') as sub_account_id,
    service_name,
    sum(effective_cost) as untagged_cost,
    sum(case when allocation_method = 'unallocated' then effective_cost else {dialect.money(0)} end) as unallocated_cost,
    count(*) as line_item_count
from {dialect.relation(line_items)}
where allocation_method not like 'tag:%' and allocation_method not like 'shared:%'
group by provider_name, coalesce(sub_account_id, '(no project)'), service_name
order by untagged_cost desc, provider_name, sub_account_id, service_name
limit {int(limit)}
""".strip()


def unallocated_growth_sql(dialect: Dialect, coverage: Relation) -> str:
    """Per provider and day: the unallocated share of effective cost and the previous day's."""
    return f"""
with daily as (
    select
        provider_name,
        charge_date,
        sum(effective_cost) as effective_cost,
        sum(unallocated_cost) as unallocated_cost
    from {dialect.relation(coverage)}
    group by provider_name, charge_date
),
shares as (
    select
        provider_name,
        charge_date,
        effective_cost,
        unallocated_cost,
        case when effective_cost > 0 then cast(unallocated_cost / effective_cost as {dialect.float_type()}) end as unallocated_share
    from daily
)
select
    provider_name,
    charge_date,
    effective_cost,
    unallocated_cost,
    unallocated_share,
    lag(unallocated_share) over (partition by provider_name order by charge_date) as previous_unallocated_share
from shares
order by provider_name, charge_date
""".strip()


def conservation_sql(dialect: Dialect, export: Relation, targets: dict[str, tuple[Relation, str]]) -> str:
    """Per billing account, invoice month and currency: Σ(cost + credits) in the raw export
    beside Σ billed_cost of each target (name → (relation, filter on its rows)).

    One row per group that exists on any side; a side without the group is null."""
    sides = [
        f"""source_totals as (
    select
        billing_account_id,
        concat(substr(invoice.month, 1, 4), '-', substr(invoice.month, 5, 2)) as invoice_month,
        currency,
        sum({dialect.money('cost')} + {dialect.sum_credits('credits')}) as source_cost
    from {dialect.relation(export)}
    group by 1, 2, 3
)"""
    ]
    for name, (relation, where) in targets.items():
        sides.append(
            f"""{name}_totals as (
    select billing_account_id, invoice_month, billing_currency as currency, sum(billed_cost) as {name}_cost
    from {dialect.relation(relation)}
    where {where}
    group by 1, 2, 3
)"""
        )
    names = ["source", *targets]
    keys = ",\n".join(
        f"""    select billing_account_id, invoice_month, currency from {name}_totals"""
        for name in names
    ).replace(",\n", "\n    union distinct\n")
    if dialect.name == "duckdb":
        keys = keys.replace("union distinct", "union")
    joins = "\n".join(
        f"""left join {name}_totals
    on {name}_totals.billing_account_id = all_keys.billing_account_id
    and {name}_totals.invoice_month = all_keys.invoice_month
    and {name}_totals.currency = all_keys.currency"""
        for name in names
    )
    columns = ",\n".join(f"    {name}_totals.{name}_cost" for name in names)
    ctes = ",\n".join(sides)
    return f"""
with
{ctes},
all_keys as (
{keys}
)
select
    all_keys.billing_account_id,
    all_keys.invoice_month,
    all_keys.currency,
{columns}
from all_keys
{joins}
order by 1, 2, 3
""".strip()


def required_fields_sql(dialect: Dialect, export: Relation, present: set[str]) -> str:
    """Total rows and, per required field present in the table, its rows without a value."""
    counts = [f"count(*) as total_rows"]
    for field, _ in REQUIRED_FIELDS:
        if field.split(".")[0] in present:
            alias = field.replace(".", "__")
            counts.append(f"count(*) - count({_column(field)}) as {alias}__nulls")
    return f"select\n    " + ",\n    ".join(counts) + f"\nfrom {dialect.relation(export)}"
