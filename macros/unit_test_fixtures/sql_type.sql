{#
  The warehouse's SQL type for a type spec, the notation unit-test fixtures use for typed values:
  a BigQuery scalar type name ('string', 'bool', 'int64', 'float64', 'numeric', 'date',
  'timestamp'; DuckDB gets its equivalent, NUMERIC being DECIMAL(38,9)), a dict of field name to
  spec (a struct, fields in order), or a one-item list [element spec] (an array). E.g. the
  export's labels: [{'key': 'string', 'value': 'string'}].
#}
{% macro sql_type(type_spec) -%}
    {{ return(adapter.dispatch('sql_type')(type_spec)) }}
{%- endmacro %}

{% macro default__sql_type(type_spec) -%}
    {%- if type_spec is mapping -%}
        struct({% for field, field_type in type_spec.items() %}{{ adapter.quote(field) }} {{ sql_type(field_type) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- elif type_spec is not string -%}
        {{ sql_type(type_spec[0]) }}[]
    {%- else -%}
        {{ {'string': 'varchar', 'bool': 'boolean', 'int64': 'bigint', 'float64': 'double', 'numeric': 'decimal(38,9)'}.get(type_spec, type_spec) }}
    {%- endif -%}
{%- endmacro %}

{% macro bigquery__sql_type(type_spec) -%}
    {%- if type_spec is mapping -%}
        struct<{% for field, field_type in type_spec.items() %}{{ adapter.quote(field) }} {{ sql_type(field_type) }}{{ ', ' if not loop.last }}{% endfor %}>
    {%- elif type_spec is not string -%}
        array<{{ sql_type(type_spec[0]) }}>
    {%- else -%}
        {{ type_spec }}
    {%- endif -%}
{%- endmacro %}
