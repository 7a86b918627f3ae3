{# fct_cost_line_items: a view in DuckDB, a table in BigQuery (see the model's header). #}
{% macro line_items_materialization() -%}
    {{ return(adapter.dispatch('line_items_materialization')()) }}
{%- endmacro %}

{% macro default__line_items_materialization() -%}{{ return('view') }}{%- endmacro %}
{% macro bigquery__line_items_materialization() -%}{{ return('table') }}{%- endmacro %}
