{# An ordered array of strings aggregated from rows (used to build key alias lists). #}
{% macro ordered_string_array(expression, order_by) -%}
    {{ return(adapter.dispatch('ordered_string_array')(expression, order_by)) }}
{%- endmacro %}

{% macro default__ordered_string_array(expression, order_by) -%}list({{ expression }} order by {{ order_by }}){%- endmacro %}
{% macro bigquery__ordered_string_array(expression, order_by) -%}array_agg({{ expression }} order by {{ order_by }}){%- endmacro %}
