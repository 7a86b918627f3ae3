{# Decimal text with exactly nine places, rounded from the binary value the way printf does. #}
{% macro fixed9(expression) -%}
    {{ return(adapter.dispatch('fixed9')(expression)) }}
{%- endmacro %}

{% macro default__fixed9(expression) -%}printf('%.9f', {{ expression }}){%- endmacro %}
{% macro bigquery__fixed9(expression) -%}format('%.9f', {{ expression }}){%- endmacro %}
