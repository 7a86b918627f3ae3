{#
  Value of the first label whose normalised key is in `keys` (an array of canonical key
  aliases in priority order, e.g. the `team_keys` column of int_tag_key_lists). Labels with an
  empty value are ignored. Returns null when no key matches.

  BigQuery's idiom is a subquery over unnest(); in DuckDB that becomes a correlated subquery that
  is ~50x slower on millions of rows, so DuckDB gets list functions instead. Both read each set
  once and never fan a row out. Evaluated once per distinct label set (int_label_sets_resolved).
#}
{% macro label_lookup(labels, keys) -%}
    {{ return(adapter.dispatch('label_lookup')(labels, keys)) }}
{%- endmacro %}

{% macro default__label_lookup(labels, keys) -%}
    {#- Each key is normalised once: label → {priority, value}, keep known keys, lowest priority first. -#}
    list_sort(
        list_filter(
            list_transform({{ labels }}, lambda label: {'priority': list_position({{ keys }}, {{ normalize_tag_key('label.key') }}), 'value': label.value}),
            lambda candidate: candidate.priority is not null and trim(candidate.value) <> ''
        )
    )[1].value
{%- endmacro %}

{% macro bigquery__label_lookup(labels, keys) -%}
    (
        select label.value
        from unnest({{ labels }}) as label
        inner join unnest({{ keys }}) as wanted_key with offset as priority
            on {{ normalize_tag_key('label.key') }} = wanted_key
        where trim(label.value) <> ''
        order by priority, label.value
        limit 1
    )
{%- endmacro %}
