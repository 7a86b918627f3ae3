{# `select *` without some columns: DuckDB says EXCLUDE, BigQuery says EXCEPT. #}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except')(columns)) }}
{%- endmacro %}

{% macro default__star_except(columns) -%}* exclude ({{ columns | join(', ') }}){%- endmacro %}
{% macro bigquery__star_except(columns) -%}* except ({{ columns | join(', ') }}){%- endmacro %}
