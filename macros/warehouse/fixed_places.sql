{#
  A float as decimal text with exactly `places` places, rounded from its binary value the way
  printf does: the same text on both warehouses.
#}
{% macro fixed_places(expression, places) -%}
    {{ return(adapter.dispatch('fixed_places')(expression, places)) }}
{%- endmacro %}

{% macro default__fixed_places(expression, places) -%}printf('%.{{ places }}f', {{ expression }}){%- endmacro %}
{% macro bigquery__fixed_places(expression, places) -%}format('%.{{ places }}f', {{ expression }}){%- endmacro %}

{# Nine places: how the line item key writes the export's float fields. #}
{% macro fixed9(expression) -%}{{ fixed_places(expression, 9) }}{%- endmacro %}
