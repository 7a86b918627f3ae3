{#
  Lookups inside resource-manager tags, project ancestors and labels that attribution needs
  beyond label_lookup (nested_fields.sql). Same split as there: list functions in DuckDB,
  subqueries over unnest() on BigQuery. Each is evaluated once per distinct set, never per row.
#}

{#
  Value of the first resource-manager tag whose normalised short key is in `keys` (priority
  order) and whose `inherited` flag equals `inherited` (true/false). Empty values are ignored.
#}
{% macro tag_lookup(tags, keys, inherited) -%}
    {{ return(adapter.dispatch('tag_lookup')(tags, keys, inherited)) }}
{%- endmacro %}

{% macro default__tag_lookup(tags, keys, inherited) -%}
    list_sort(
        list_filter(
            list_transform(
                list_filter({{ tags }}, lambda tag: coalesce(tag.inherited, false) = {{ inherited }}),
                lambda tag: {'priority': list_position({{ keys }}, {{ normalize_tag_key('tag.key') }}), 'value': tag.value}
            ),
            lambda candidate: candidate.priority is not null and trim(candidate.value) <> ''
        )
    )[1].value
{%- endmacro %}

{% macro bigquery__tag_lookup(tags, keys, inherited) -%}
    (
        select tag.value
        from unnest({{ tags }}) as tag
        inner join unnest({{ keys }}) as wanted_key with offset as priority
            on {{ normalize_tag_key('tag.key') }} = wanted_key
        where coalesce(tag.inherited, false) = {{ inherited }}
            and trim(tag.value) <> ''
        order by priority, tag.value
        limit 1
    )
{%- endmacro %}

{#
  1-based position of `resource_name` (e.g. 'folders/123') in a project's ancestors array
  (ordered from the project up to the organization); null when it is not an ancestor.
#}
{% macro ancestor_position(ancestors, resource_name) -%}
    {{ return(adapter.dispatch('ancestor_position')(ancestors, resource_name)) }}
{%- endmacro %}

{% macro default__ancestor_position(ancestors, resource_name) -%}
    list_position(list_transform({{ ancestors }}, lambda ancestor_node: ancestor_node.resource_name), {{ resource_name }})
{%- endmacro %}

{% macro bigquery__ancestor_position(ancestors, resource_name) -%}
    (
        select min(ancestor_offset) + 1
        from unnest({{ ancestors }}) as ancestor with offset as ancestor_offset
        where ancestor.resource_name = {{ resource_name }}
    )
{%- endmacro %}

{#
  Whether any label matches: normalised key equal to `key` (when not null) and lowercased,
  trimmed value LIKE `value_pattern` (when not null). Both null: true (no label condition).
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
