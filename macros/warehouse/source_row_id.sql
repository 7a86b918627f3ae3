{#
  A number that locates an export row: DuckDB's rowid, stable while the table is unchanged (see
  signature_values). BigQuery has none: null.
#}
{% macro source_row_id() -%}
    {{ return(adapter.dispatch('source_row_id')()) }}
{%- endmacro %}

{% macro default__source_row_id() -%}rowid{%- endmacro %}
{% macro bigquery__source_row_id() -%}cast(null as int64){%- endmacro %}
