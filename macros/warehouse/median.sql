{#
  median: the median of an expression over a group (nulls ignored). DuckDB's median() is exact
  (the mean of the two middle values for an even count); BigQuery has no exact median aggregate
  (PERCENTILE_CONT is analytic only), so it takes APPROX_QUANTILES' middle value, exact for small
  groups but one of the two middle values for an even count.
#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}median({{ expression }}){%- endmacro %}

{% macro bigquery__median(expression) -%}approx_quantiles({{ expression }}, 2)[safe_offset(1)]{%- endmacro %}
