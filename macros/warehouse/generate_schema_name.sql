{#
  Custom schemas are used as they are (`marts`, `staging`, ...), so the local warehouse has
  exactly the schemas PRODUCT.md promises. On BigQuery the other layers land in
  `<dataset>_<layer>` beside the dataset the target names, and the marts are built and checked
  in `<dataset>_build`: readers query `<dataset>`, which the publication step fills from it once
  every blocking check passed (write, audit, publish: orchestration/transform/publication.py).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ return(adapter.dispatch('chargeback_schema_name')(custom_schema_name, node)) }}
{%- endmacro %}

{% macro default__chargeback_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}

{% macro bigquery__chargeback_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ target.schema }}_build
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
