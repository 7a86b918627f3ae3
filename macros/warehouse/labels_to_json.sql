{# Labels as a JSON object text {"key": "value", ...}, FOCUS's Tags format. #}
{% macro labels_to_json(labels) -%}
    {{ return(adapter.dispatch('labels_to_json')(labels)) }}
{%- endmacro %}

{% macro default__labels_to_json(labels) -%}
    '{' || array_to_string(list_transform(coalesce({{ labels }}, []), lambda label: cast(to_json(label.key) as varchar) || ':' || cast(to_json(label.value) as varchar)), ',') || '}'
{%- endmacro %}

{% macro bigquery__labels_to_json(labels) -%}
    concat('{', coalesce((select string_agg(to_json_string(label.key) || ':' || to_json_string(label.value), ',') from unnest({{ labels }}) as label), ''), '}')
{%- endmacro %}
