{#
  Whether any label matches: normalised key equal to `key` (when not null) and lowercased,
  trimmed value LIKE `value_pattern` (when not null). Both null: true (no label condition).
  Evaluated once per signature and rule (int_virtual_tag_rule_matches), never per row.
#}
{% macro labels_match(labels, key, value_pattern) -%}
    {{ return(adapter.dispatch('labels_match')(labels, key, value_pattern)) }}
{%- endmacro %}

{% macro default__labels_match(labels, key, value_pattern) -%}
    (
        ({{ key }} is null and {{ value_pattern }} is null)
        or len(list_filter(
            coalesce({{ labels }}, []),
            lambda label: ({{ key }} is null or {{ normalize_tag_key('label.key') }} = {{ key }})
                and ({{ value_pattern }} is null or lower(trim(label.value)) like {{ value_pattern }})
        )) > 0
    )
{%- endmacro %}

{% macro bigquery__labels_match(labels, key, value_pattern) -%}
    (
        ({{ key }} is null and {{ value_pattern }} is null)
        or exists (
            select 1
            from unnest({{ labels }}) as label
            where ({{ key }} is null or {{ normalize_tag_key('label.key') }} = {{ key }})
                and ({{ value_pattern }} is null or lower(trim(label.value)) like {{ value_pattern }})
        )
    )
{%- endmacro %}
