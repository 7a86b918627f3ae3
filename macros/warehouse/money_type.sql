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

{#
  An estimate (a forecast, an expected cost) as money, rounded to the cent: its further places are
  noise, and there the floats it comes from differ between the warehouses, which add and divide
  them in their own order.
#}
{% macro to_money_estimate(expression) -%}
    {{ to_money('round(' ~ to_money(expression) ~ ', 2)') }}
{%- endmacro %}
