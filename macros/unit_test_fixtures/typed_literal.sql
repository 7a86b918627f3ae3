{#
  A value written in Jinja (a string, number, boolean or none; a dict for a struct, a list for an
  array) as a SQL literal of the type `type_spec` describes (see sql_type.sql), with the same
  meaning on every warehouse: every scalar and null is cast to its type, a struct field missing
  from the dict is null. For unit-test fixtures of nested inputs (labels, tags, credits), which
  DuckDB and BigQuery write differently: `{'key': 'team'}` against `struct('team' as key)`.
#}
{% macro typed_literal(value, type_spec) -%}
    {{ return(adapter.dispatch('typed_literal')(value, type_spec)) }}
{%- endmacro %}

{% macro default__typed_literal(value, type_spec) -%}
    {%- if value is none -%}
        cast(null as {{ sql_type(type_spec) }})
    {%- elif type_spec is mapping -%}
        {{ '{' }}{% for field, field_type in type_spec.items() %}{{ dbt.string_literal(field) }}: {{ typed_literal(value.get(field), field_type) }}{{ ', ' if not loop.last }}{% endfor %}{{ '}' }}
    {%- elif type_spec is not string and value | length == 0 -%}
        cast([] as {{ sql_type(type_spec) }})
    {%- elif type_spec is not string -%}
        [{% for element in value %}{{ typed_literal(element, type_spec[0]) }}{{ ', ' if not loop.last }}{% endfor %}]
    {%- else -%}
        {{ _scalar_literal(value, type_spec) }}
    {%- endif -%}
{%- endmacro %}

{% macro bigquery__typed_literal(value, type_spec) -%}
    {%- if value is none -%}
        cast(null as {{ sql_type(type_spec) }})
    {%- elif type_spec is mapping -%}
        struct({% for field, field_type in type_spec.items() %}{{ typed_literal(value.get(field), field_type) }} as {{ adapter.quote(field) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- elif type_spec is not string -%}
        {#- A typed array literal: an empty one needs its type. -#}
        {{ sql_type(type_spec) }}[{% for element in value %}{{ typed_literal(element, type_spec[0]) }}{{ ', ' if not loop.last }}{% endfor %}]
    {%- else -%}
        {{ _scalar_literal(value, type_spec) }}
    {%- endif -%}
{%- endmacro %}

{# A scalar as a literal cast to its type (boolean before number: a boolean is a number to Jinja). #}
{% macro _scalar_literal(value, type_spec) -%}
    {%- if value is boolean -%}
        {%- set literal = 'true' if value else 'false' -%}
    {%- elif value is number -%}
        {%- set literal = value | string -%}
    {%- else -%}
        {%- set literal = dbt.string_literal(dbt.escape_single_quotes(value | string)) -%}
    {%- endif -%}
    cast({{ literal }} as {{ sql_type(type_spec) }})
{%- endmacro %}
