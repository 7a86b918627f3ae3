{#
  The day of the week of a date, 0 = Monday ... 6 = Sunday, the same on every warehouse: days
  since a Monday, modulo 7 (DuckDB's dayofweek and BigQuery's DAYOFWEEK count from Sunday, from
  0 and from 1).
#}
{% macro day_of_week(date_expression) -%}
    mod({{ days_between("cast('2000-01-03' as date)", date_expression) }}, 7)
{%- endmacro %}
