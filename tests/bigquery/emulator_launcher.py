"""Start the BigQuery emulator (bqemulator 1.4.0) offline, with the work-arounds this project needs.

    .venv-bigquery-emulator/bin/python tests/bigquery/emulator_launcher.py \
        --rest-port PORT --grpc-port PORT --project PROJECT [--without WORKAROUND ...]

Runs in the emulator's own virtual environment (tests/bigquery/emulator-requirements.lock:
bqemulator pins an older sqlglot than the project), never in the project's. Serves until it is
terminated (SIGTERM), in memory: nothing outlives the process.

bqemulator translates each BigQuery statement to DuckDB SQL with sqlglot and runs it on an
embedded DuckDB. A few of its translations are wrong for SQL this project writes; each
work-around below replaces one private function of bqemulator 1.4.0, says what the emulator
gets wrong and what in the project hits it. They hook into internals, so the launcher refuses
any other version: after an upgrade, rerun the BigQuery tests with `--without NAME` for each
(BQ_EMULATOR_WITHOUT=NAME,... in the test run) and keep only those still needed.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys

import sqlglot
from sqlglot import exp

EMULATOR_VERSION = "1.4.0"


def offline_start() -> None:
    """At start-up bqemulator runs `INSTALL spatial`, which downloads DuckDB's spatial
    extension, and refuses to start without it. Spatial only backs GEOGRAPHY, which this
    project never uses; the machines here reach no extension repository. (It also tries to
    download the avro extension, which a setting turns off: Avro loads are not used either.)"""
    from bqemulator.storage import engine

    engine.DuckDBEngine._load_spatial = lambda self: None
    os.environ["BQEMU_ENABLE_FORMAT_EXTENSIONS"] = "false"


def nested_schema() -> None:
    """The translator qualifies columns against a schema it builds from the catalogue, and
    that schema leaves out every RECORD or REPEATED column (it cannot name their DuckDB type).
    `service.id`, a field of the RECORD column `service`, is then taken for column `id` of a
    table `service` ("Referenced table service not found"), and `select *` loses the nested
    columns. Hit by staging, so by every model that reads the export. Here nested columns get
    their full DuckDB STRUCT / LIST type (the mapping bqemulator uses to create the table)."""
    from bqemulator.domain.errors import NotFoundError
    from bqemulator.sql import catalog_schema, inner_query
    from bqemulator.storage.type_map import bq_schema_to_duckdb_columns

    def field_resource(field) -> dict:
        resource = {"name": field.name, "type": field.type, "mode": field.mode}
        if field.fields:
            resource["fields"] = [field_resource(child) for child in field.fields]
        if field.range_element_type is not None:
            resource["rangeElementType"] = {"type": field.range_element_type.type}
        return resource

    def build_catalog_schema(bq_sql: str, *, project_id: str, catalog) -> dict[str, dict[str, str]]:
        try:
            tree = sqlglot.parse_one(bq_sql, read="bigquery")
        except sqlglot.errors.ParseError:
            return {}
        schema: dict[str, dict[str, str]] = {}
        for table in tree.find_all(exp.Table):
            reference = catalog_schema._resolve_table_ref(table, project_id=project_id)
            if reference is None:
                continue
            try:
                meta = catalog.get_table(*reference)
            except NotFoundError:  # a table not created yet: nothing to annotate with
                meta = None
            if meta is None:
                continue
            columns: dict[str, str] = {}
            for field in meta.schema_.fields:
                try:
                    [(_, columns[field.name])] = bq_schema_to_duckdb_columns([field_resource(field)])
                except Exception:  # noqa: BLE001 - a type the map cannot name: as bqemulator does
                    columns[field.name] = catalog_schema._safe_bq_to_duckdb(field.type) or "UNKNOWN"
            schema[reference[2]] = columns
        return schema

    # inner_query imported the function by name: replace it there too.
    catalog_schema.build_catalog_schema = inner_query.build_catalog_schema = build_catalog_schema


def ctas_subquery() -> None:
    """dbt-bigquery writes a contracted model as `create table t (col type, ...) as (select
    ...)`: the body in parentheses. bqemulator looks for the first SELECT of the body to cast
    its columns to the declared types, finds a Subquery instead, and passes the statement on
    untranslated, which DuckDB cannot parse. Hit by every mart (contracts are enforced there)."""
    from bqemulator.sql.rewriter import create_table_schema_ctas

    first_select = create_table_schema_ctas._first_select

    def first_select_in_parentheses(body):
        while isinstance(body, exp.Subquery):
            body = body.this
        return first_select(body)

    create_table_schema_ctas._first_select = first_select_in_parentheses


def offset_scope() -> None:
    """BigQuery's `unnest(...) with offset as n` counts from 0, DuckDB's ordinality from 1, so
    bqemulator rewrites each use of `n` to `(n - 1)`. It does so for every column named `n`
    anywhere in the statement, also in other SELECTs where `n` is an ordinary column (an outer
    query reading the alias), which shifts it twice. Hit by the label and tag lookups
    (macros/warehouse/). Here a column is rebased only under the SELECT whose FROM holds the
    unnest that defines it."""
    from bqemulator.sql.rewriter import unnest_offset

    def offsets_defined_by(select: exp.Select) -> set[str]:
        from_ = select.args.get("from_") or select.args.get("from")
        sources = ([from_.this] if from_ is not None else []) + [join.this for join in select.args.get("joins") or []]
        return {
            "offset" if unnest.args["offset"] is True else unnest.args["offset"].name
            for unnest in sources
            if isinstance(unnest, exp.Unnest) and unnest.args.get("offset")
        }

    def rebase_offsets_in_scope(tree: exp.Expression, offset_names: set[str]) -> bool:
        rebased = False
        for column in list(tree.find_all(exp.Column)):
            if column.name not in offset_names:
                continue
            if column.find_ancestor(exp.Unnest) is not None and column.parent_select is None:
                continue  # the alias in the unnest's own `with offset as n`
            scope = column.parent
            while scope is not None and not (
                isinstance(scope, exp.Select) and column.name in offsets_defined_by(scope)
            ):
                scope = scope.parent
            if scope is None:
                continue  # a column of the same name, not an offset
            zero_based = exp.Paren(this=exp.Sub(this=column.copy(), expression=exp.Literal.number(1)))
            if isinstance(column.parent, exp.Alias):
                column.parent.set("this", zero_based)
            else:
                column.replace(zero_based)
            rebased = True
        return rebased

    unnest_offset._rebase_offset_columns = rebase_offsets_in_scope


def numeric_width() -> None:
    """sqlglot writes BigQuery's NUMERIC (precision 38, scale 9) as a bare DuckDB DECIMAL,
    which DuckDB reads as DECIMAL(18, 3), and BIGNUMERIC as DECIMAL(38, 5); bqemulator casts
    every NUMERIC quotient to DECIMAL(38, 9). So `cast(x as numeric)` rounds money to 3
    places, and a share of a BIGNUMERIC to 9. Hit by the money columns and the cost splits
    (the marts would differ from DuckDB's in the fourth decimal). Here NUMERIC becomes
    DECIMAL(38, 9) and BIGNUMERIC DECIMAL(38, 18): DuckDB has no wider decimal, so BIGNUMERIC
    (76 digits, scale 38) is only approximated; a quotient keeps scale 18 when an operand has it."""
    from bqemulator.sql import translator
    from bqemulator.sql.rules import aggregate_types

    numeric = exp.DataType.build("DECIMAL(38, 9)", dialect="duckdb")
    bignumeric = exp.DataType.build("DECIMAL(38, 18)", dialect="duckdb")

    def widen_decimals(duckdb_sql: str) -> str:
        if "DECIMAL" not in duckdb_sql.upper():
            return duckdb_sql
        try:
            tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
        except sqlglot.errors.SqlglotError:  # bqemulator then runs it as it is
            return duckdb_sql
        widened = False
        for data_type in list(tree.find_all(exp.DataType)):
            if data_type.this != exp.DataType.Type.DECIMAL:
                continue
            params = [param.sql() for param in data_type.expressions]
            if params in ([], ["18", "3"]):
                data_type.replace(numeric.copy())
                widened = True
            elif params == ["38", "5"]:
                data_type.replace(bignumeric.copy())
                widened = True
        return tree.sql(dialect="duckdb") if widened else duckdb_sql

    apply_rules = translator.SQLTranslator._apply_rules
    translator.SQLTranslator._apply_rules = lambda self, sql, *, schema=None: apply_rules(
        self, widen_decimals(sql), schema=schema
    )

    def decimal_scale(operand: exp.Expression) -> int:
        data_type = operand.to if isinstance(operand, exp.Cast) else getattr(operand, "type", None)
        if (
            isinstance(data_type, exp.DataType)
            and data_type.this == exp.DataType.Type.DECIMAL
            and len(data_type.expressions) == 2
            and data_type.expressions[1].sql().isdigit()
        ):
            return int(data_type.expressions[1].sql())
        return 9

    def cast_quotient(self, node: exp.Div) -> exp.Expression:
        scale = max(decimal_scale(node.this), decimal_scale(node.expression))
        return exp.Cast(this=node.copy(), to=(bignumeric if scale > 9 else numeric).copy())

    aggregate_types.DivDecimalRule.rewrite = cast_quotient


def multipart_any() -> None:
    """google-cloud-bigquery uploads a small load job's file (`load_table_from_dataframe`, as
    `load_table_from_json`) in one multipart request whose media part says `Content-Type: */*`;
    bqemulator accepts only listed media types and rejects it. Hit by the data-quality checks,
    which append their results with that call (BigQueryWarehouse.append, orchestration/resources.py)."""
    from bqemulator.api.routes import upload

    permitted = upload._is_permitted_media_type
    upload._is_permitted_media_type = lambda content_type: content_type == "*/*" or permitted(content_type)


def comment_quotes() -> None:
    """Before transpiling, bqemulator marks each decimal literal outside strings as FLOAT64
    (`1.5` -> `1.5e0`). Its scan for strings does not know comments: an apostrophe in a `--`
    comment opens a "string", and from there on code and strings swap, so decimals inside
    later string literals get `e0` appended. Hit by unit tests whose expected text has
    decimals (the drivers of fct_cost_anomalies, `+990.00`) under a model with such a comment.
    Here comments, strings (triple-quoted and raw too) and quoted names are skipped whole."""
    import re

    from bqemulator.sql import translator
    from bqemulator.sql.rewriter import decimal_literals

    not_code = re.compile(
        r"--[^\n]*|#[^\n]*|/\*.*?\*/"  # comments
        r"|'''(?:\\.|.)*?'''|\"\"\"(?:\\.|.)*?\"\"\""  # triple-quoted strings
        r"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"|`[^`]*`",  # strings, quoted names
        re.DOTALL,
    )

    def floats(code: str) -> str:
        return decimal_literals._DECIMAL_RE.sub(r"\1.\2e0", code)

    def rewrite_decimal_literals(bq_sql: str) -> str:
        parts, code_start = [], 0
        for skipped in not_code.finditer(bq_sql):
            parts += [floats(bq_sql[code_start : skipped.start()]), skipped.group()]
            code_start = skipped.end()
        return "".join([*parts, floats(bq_sql[code_start:])])

    translator.rewrite_decimal_literals = rewrite_decimal_literals


WORKAROUNDS = {
    workaround.__name__: workaround
    for workaround in (
        offline_start,
        nested_schema,
        ctas_subquery,
        offset_scope,
        numeric_width,
        multipart_any,
        comment_quotes,
    )
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rest-port", type=int, required=True)
    parser.add_argument("--grpc-port", type=int, required=True)
    parser.add_argument("--project", required=True, help="the emulator's default project")
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        choices=sorted(WORKAROUNDS),
        help="leave one work-around out, to see whether it is still needed (repeatable)",
    )
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

    installed = importlib.metadata.version("bqemulator")
    if installed != EMULATOR_VERSION:
        print(
            f"emulator_launcher: bqemulator {installed} is installed; these work-arounds replace private "
            f"functions of bqemulator {EMULATOR_VERSION} only. Install tests/bigquery/emulator-requirements.lock "
            f"(make test-bigquery does), or check each work-around against {installed} and update the pin.",
            file=sys.stderr,
        )
        return 2
    for name, apply in WORKAROUNDS.items():
        if name not in args.without:
            apply()

    from bqemulator.cli import main as bqemulator

    return bqemulator.main(
        [
            "start",
            "--rest-host",
            "127.0.0.1",
            "--rest-port",
            str(args.rest_port),
            "--grpc-host",
            "127.0.0.1",
            "--grpc-port",
            str(args.grpc_port),
            "--project",
            args.project,
            "--ephemeral",
            "--log-level",
            args.log_level,
        ],
        prog_name="bqemulator",
        standalone_mode=True,
    )


if __name__ == "__main__":
    sys.exit(main())
