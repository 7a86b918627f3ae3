{#
  Day arithmetic that gives a DATE on every warehouse: dbt's cross-database date macros return a
  DATETIME or TIMESTAMP on BigQuery, which would leak into the marts' DATE columns.
#}
{% macro add_days(days, date_expression) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{# The first day of the month of a date. #}
{% macro month_start(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}

{# The last day of the month of a date. #}
{% macro month_end(date_expression) -%}
    {{ add_days(-1, dbt.dateadd('month', 1, month_start(date_expression))) }}
{%- endmacro %}
