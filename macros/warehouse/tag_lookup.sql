{#
  Value of the first resource-manager tag whose normalised short key is in `keys` (priority
  order) and whose `inherited` flag equals `inherited` (true/false). Empty values are ignored.
  List functions in DuckDB, a subquery over unnest() on BigQuery (see label_lookup.sql). Evaluated
  once per distinct tag set (int_resource_tag_sets_resolved), never per row.
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
