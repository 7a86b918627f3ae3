{#
  Custom schemas are used as they are (`marts`, `staging`, ...), so the local warehouse has
  exactly the schemas PRODUCT.md promises. On BigQuery the marts land in the dataset the
  target names and the other layers in `<dataset>_<layer>` beside it.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ return(adapter.dispatch('chargeback_schema_name')(custom_schema_name, node)) }}
{%- endmacro %}

{% macro default__chargeback_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}

{% macro bigquery__chargeback_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none or custom_schema_name | trim == 'marts' -%}
        {{ target.schema }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
