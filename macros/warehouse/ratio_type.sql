{# Shares and ratios: 64-bit floats on both warehouses (DuckDB's FLOAT is only 32-bit). #}
{% macro ratio_type() -%}
    {{ return(adapter.dispatch('ratio_type')()) }}
{%- endmacro %}

{% macro default__ratio_type() -%}double{%- endmacro %}
{% macro bigquery__ratio_type() -%}float64{%- endmacro %}
