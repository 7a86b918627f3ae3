{#
  median: the exact median of an expression over a group (nulls ignored; the mean of the two
  middle values for an even count). DuckDB has median(); BigQuery's PERCENTILE_CONT is analytic
  only, so the group's values are gathered and the percentile taken over them in a subquery (the
  usual idiom). APPROX_QUANTILES would give one of the two middle values, and the emulator
  mistranslates it.
#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}median({{ expression }}){%- endmacro %}

{% macro bigquery__median(expression) -%}
    (select percentile_cont(value, 0.5) over () from unnest(array_agg({{ expression }} ignore nulls)) as value limit 1)
{%- endmacro %}
