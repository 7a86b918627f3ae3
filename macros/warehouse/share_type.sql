{#
  Allocation shares for shared-cost pools. A share multiplies money, so it is an exact decimal
  with more places than money: DECIMAL(38,15) in DuckDB (a money amount times a share still
  fits 38 digits up to 10^14), BIGNUMERIC in BigQuery (NUMERIC has only 9 places).
#}
{% macro share_type() -%}
    {{ return(adapter.dispatch('share_type')()) }}
{%- endmacro %}

{% macro default__share_type() -%}decimal(38,15){%- endmacro %}
{% macro bigquery__share_type() -%}bignumeric{%- endmacro %}
