{#
  fingerprint: one 64-bit number for a tuple of values of any type (lists and records too), the
  same for equal tuples, null-safe. Used as a join and grouping key where comparing the values
  themselves would cost more than everything else: DuckDB hashes them; BigQuery cannot hash an
  array directly, so it fingerprints each value's JSON text. A collision (two different tuples,
  one number; probability about n² / 2^65 for n distinct tuples) would merge them.
#}
{% macro fingerprint(expressions) -%}
    {{ return(adapter.dispatch('fingerprint')(expressions)) }}
{%- endmacro %}

{% macro default__fingerprint(expressions) -%}hash({{ expressions | join(', ') }}){%- endmacro %}

{% macro bigquery__fingerprint(expressions) -%}
    farm_fingerprint(concat(
    {%- for expression in expressions %}
        coalesce(to_json_string({{ expression }}), 'null'){% if not loop.last %}, '|',{% endif %}
    {%- endfor %}
    ))
{%- endmacro %}
