{#
  Every split adds back up to its source row (PRODUCT.md, invariant 3): per source line item
  taken by a shared-cost pool, for every money column, Σ split rows in fct_cost_line_items =
  the source row as it entered attribution (int_cost_line_items_focus_aligned: attribution never
  changes money, and reading it skips the attribution joins), exactly (no tolerance). Also fails
  when a split group has no source row, or mixes pools. Returns the groups that disagree.
#}
{#- Config here, not in the YAML: dbt 1.11's partial parsing drops a singular test's YAML config
    when a file it depends on changes, and with it the Dagster `ref`. In Dagster, the check
    belongs to the line items the splits live in. #}
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_cost_line_items'}}}) }}
{%- set money_columns = line_item_money_columns() -%}
with

split_groups as (

    select
        source_line_item_id,
        count(distinct shared_pool_id) as pool_count,
        {%- for column in money_columns %}
        sum({{ column }}) as split_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('fct_cost_line_items') }}
    where shared_pool_id is not null
    group by source_line_item_id

),

sources as (

    select
        line_item_id,
        {%- for column in money_columns %}
        {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_cost_line_items_focus_aligned') }}
    where line_item_id in (select source_line_item_id from split_groups)

),

compared as (

    select
        split_groups.*,
        sources.line_item_id as found_source_line_item_id,
        {%- for column in money_columns %}
        sources.{{ column }} as source_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from split_groups
    left join sources
        on split_groups.source_line_item_id = sources.line_item_id

)

select *
from compared
where found_source_line_item_id is null
    or pool_count <> 1
    {%- for column in money_columns %}
    or split_{{ column }} <> source_{{ column }}
    or (split_{{ column }} is null) <> (source_{{ column }} is null)
    {%- endfor %}
