{#
  A join clause giving one row per key/value of a Tags text (the JSON object of strings that
  labels_to_json writes), as `<alias>.tag_key` and `<alias>.tag_value`; a row with no tags gets
  none. DuckDB reads the object as a map. BigQuery takes each "key":"value" pair with a regular
  expression and lets JSON_VALUE undo the escapes: JSON_KEYS would need JSON paths quoted for
  keys like `k8s-label/app.kubernetes.io/name`.
#}
{% macro join_tag_entries(tags, alias) -%}
    {{ return(adapter.dispatch('join_tag_entries')(tags, alias)) }}
{%- endmacro %}

{% macro default__join_tag_entries(tags, alias) -%}
    cross join lateral (
        select
            tag_entry.key as tag_key,
            tag_entry.value as tag_value
        from unnest(map_entries(json_transform({{ tags }}, '"MAP(VARCHAR, VARCHAR)"'))) as tag_entries (tag_entry)
    ) as {{ alias }}
{%- endmacro %}

{% macro bigquery__join_tag_entries(tags, alias) -%}
    {%- set json_string = '"(?:[^"\\\\]|\\\\.)*"' %}
    cross join unnest(array(
        select as struct
            json_value(concat('{"k":', regexp_extract(tag_pair, r'^({{ json_string }}):'), '}'), '$.k') as tag_key,
            json_value(concat('{"v":', regexp_extract(tag_pair, r':({{ json_string }})$'), '}'), '$.v') as tag_value
        from unnest(regexp_extract_all({{ tags }}, r'{{ json_string }}:{{ json_string }}')) as tag_pair
    )) as {{ alias }}
{%- endmacro %}
