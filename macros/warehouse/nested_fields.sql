{#
  Lookups inside the export's repeated records (labels, credits). BigQuery's idiom is a
  subquery over unnest(); in DuckDB that becomes a correlated subquery that is ~50x slower
  on millions of rows, so DuckDB gets list functions instead. Both read every row once and
  never fan a row out (the classic `cross join unnest(credits)` bug).
#}

{#
  Value of the first label whose normalised key is in `keys` (an array of canonical key
  aliases in priority order, e.g. the `team_keys` column of int_tag_key_lists). Labels with an
  empty value are ignored. Returns null when no key matches.
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

{#
  Sum of credits.amount as exact money. `types` limits it to those credit types,
  `exclude_types` to all other types; neither sums every credit. Zero when there are none.
#}
{% macro sum_credits(credits, types=none, exclude_types=none) -%}
    {{ return(adapter.dispatch('sum_credits')(credits, types, exclude_types)) }}
{%- endmacro %}

{% macro _credit_type_filter(types, exclude_types) -%}
    {%- if types is not none -%}
        credit.type in ('{{ types | join("', '") }}')
    {%- elif exclude_types is not none -%}
        coalesce(credit.type, '') not in ('{{ exclude_types | join("', '") }}')
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro default__sum_credits(credits, types, exclude_types) -%}
    {#- Every credit: no list_filter, which would copy each list (a third of a second per 10M rows). -#}
    {%- set credits_summed = credits if types is none and exclude_types is none
        else 'list_filter(' ~ credits ~ ', lambda credit: ' ~ _credit_type_filter(types, exclude_types) ~ ')' -%}
    coalesce(
        list_sum(
            list_transform(
                {{ credits_summed }},
                lambda credit: {{ to_money('credit.amount') }}
            )
        ),
        {{ to_money(0) }}
    )
{%- endmacro %}

{% macro bigquery__sum_credits(credits, types, exclude_types) -%}
    coalesce(
        (
            select sum({{ to_money('credit.amount') }})
            from unnest({{ credits }}) as credit
            where {{ _credit_type_filter(types, exclude_types) }}
        ),
        {{ to_money(0) }}
    )
{%- endmacro %}

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

{# An ordered array of strings aggregated from rows (used to build key alias lists). #}
{% macro ordered_string_array(expression, order_by) -%}
    {{ return(adapter.dispatch('ordered_string_array')(expression, order_by)) }}
{%- endmacro %}

{% macro default__ordered_string_array(expression, order_by) -%}list({{ expression }} order by {{ order_by }}){%- endmacro %}
{% macro bigquery__ordered_string_array(expression, order_by) -%}array_agg({{ expression }} order by {{ order_by }}){%- endmacro %}

{#
  Distinct sets of labels (or tags): a bill has millions of rows but a few thousand distinct
  sets, so sets are resolved once each, in small lookup tables the line items join.

  label_set_key: the join key of a set. DuckDB: a 64-bit hash, because joining millions of rows
  on a number is several times faster than on lists of records (a null set hashes like the
  empty set, and means the same: no labels). BigQuery cannot compare arrays: their JSON text.
  label_set_grouping: groups the sets exactly - the list itself in DuckDB, the JSON on BigQuery.
  The lookups group by it and carry label_set_key, so two sets whose hashes collide would give a
  duplicate key and fail the lookups' unique tests instead of merging silently.
#}
{% macro label_set_key(labels) -%}
    {{ return(adapter.dispatch('label_set_key')(labels)) }}
{%- endmacro %}

{% macro default__label_set_key(labels) -%}hash({{ labels }}){%- endmacro %}
{% macro bigquery__label_set_key(labels) -%}to_json_string({{ labels }}){%- endmacro %}

{% macro label_set_grouping(labels) -%}
    {{ return(adapter.dispatch('label_set_grouping')(labels)) }}
{%- endmacro %}

{% macro default__label_set_grouping(labels) -%}{{ labels }}{%- endmacro %}
{% macro bigquery__label_set_grouping(labels) -%}to_json_string({{ labels }}){%- endmacro %}

{#
  fingerprint: one 64-bit number for a tuple of values of any type (lists and records too), the
  same for equal tuples, null-safe. Used as a join and grouping key where comparing the values
  themselves would cost more than everything else: DuckDB hashes them; BigQuery cannot hash an
  array directly, so it fingerprints each value's JSON text. A collision (two different tuples,
  one number; probability about n² / 2^65 for n distinct tuples) would merge them.
#}
{% macro fingerprint(expressions) -%}
    {{ return(adapter.dispatch('fingerprint')(expressions)) }}
{%- endmacro %}

{% macro default__fingerprint(expressions) -%}hash({{ expressions | join(', ') }}){%- endmacro %}

{% macro bigquery__fingerprint(expressions) -%}
    farm_fingerprint(concat(
    {%- for expression in expressions %}
        coalesce(to_json_string({{ expression }}), 'null'){% if not loop.last %}, '|',{% endif %}
    {%- endfor %}
    ))
{%- endmacro %}
