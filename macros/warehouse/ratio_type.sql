{# Shares and ratios: 64-bit floats on both warehouses (DuckDB's FLOAT is only 32-bit). #}
{% macro ratio_type() -%}
    {{ return(adapter.dispatch('ratio_type')()) }}
{%- endmacro %}

{% macro default__ratio_type() -%}double{%- endmacro %}
{% macro bigquery__ratio_type() -%}float64{%- endmacro %}

{#
  numerator / denominator as a ratio_type, null when the denominator is 0. Both are converted
  first: DuckDB divides decimals in double precision, BigQuery NUMERICs at 9 places.
#}
{% macro float_ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ ratio_type() }}) / nullif(cast({{ denominator }} as {{ ratio_type() }}), 0)
{%- endmacro %}
