{#
  Money is exact: DECIMAL(38,9) in DuckDB, NUMERIC (38 digits, 9 after the point) in BigQuery.
  Floats from the export are converted once, in staging, and never summed as floats.
#}
{% macro money_type() -%}
    {{ return(adapter.dispatch('money_type')()) }}
{%- endmacro %}

{% macro default__money_type() -%}decimal(38,9){%- endmacro %}
{% macro bigquery__money_type() -%}numeric{%- endmacro %}

{# An expression as money (money_type). #}
{% macro to_money(expression) -%}
    cast({{ expression }} as {{ money_type() }})
{%- endmacro %}
