{#
  days_between: whole days from one DATE to a later one (negative when earlier). DuckDB subtracts
  dates into an integer; BigQuery's date subtraction gives an INTERVAL, so it takes DATE_DIFF.
#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}({{ end_date }} - {{ start_date }}){%- endmacro %}

{% macro bigquery__days_between(start_date, end_date) -%}date_diff({{ end_date }}, {{ start_date }}, day){%- endmacro %}
