{#
  The signature values (attribution_signature_columns) of every attribution key of `totals`
  (int_cost_group_totals), taken from the line items of `line_items`.

  DuckDB: from one representative line item per key, fetched by its row id (representative_row_id,
  kept by the totals pass): the semi-join's filter reaches the scan, so only those rows are read
  instead of every line item again. Row ids hold while the export table is unchanged, and nothing
  writes it during a build (DuckDB lets one process write the file); should one still have moved,
  the key is recomputed on the fetched row and must match, so a wrong row is never taken, and the
  key goes missing instead - which the relationships test on int_cost_group_totals reports.
  BigQuery has no row id: any value per key, one pass.
#}
{% macro signature_values(line_items, totals) -%}
    {{ return(adapter.dispatch('signature_values')(line_items, totals)) }}
{%- endmacro %}

{% macro default__signature_values(line_items, totals) -%}
    {#- The `in` filter on row ids alone reaches the scan; a join on (row id, key) would compute the
        key of every line item first. -#}
    with

    representatives as (

        select attribution_key, min(representative_row_id) as representative_row_id
        from {{ totals }}
        group by attribution_key

    )

    select
        line_items.attribution_key,
        {%- for column in attribution_signature_columns() %}
        line_items.{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from (
        select *
        from {{ line_items }}
        where source_row_id in (select representative_row_id from representatives)
    ) as line_items
    inner join representatives
        on line_items.source_row_id = representatives.representative_row_id
        and line_items.attribution_key = representatives.attribution_key
{%- endmacro %}

{% macro bigquery__signature_values(line_items, totals) -%}
    select
        attribution_key,
        {%- for column in attribution_signature_columns() %}
        any_value({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ line_items }}
    group by attribution_key
{%- endmacro %}
