{#
  Every split adds back up to its source (PRODUCT.md, invariant 3), checked per cost group:
  - Σ money of a group's rows in int_cost_groups_allocated (one row, or one per recipient) = the
    group in int_cost_groups, exactly; every group is there, each row keeps its line item count;
  - a split group's recipients' cumulative shares chain from 0 to 1 (ordered by share_before,
    each share_before is the previous share_through). fct_cost_line_items splits each line item
    of the group as round(amount × share_through, 9) − round(amount × share_before, 9), so the
    chain is what makes every line item's parts add back to it exactly, whatever the amount
    (macros/attribution/split_money.sql) - proven here once per group instead of once per line.
  dbt build runs it before it builds the marts from the allocated groups, so a failure keeps them
  unpublished. Returns the groups that disagree.
#}
{#- Config here, not in the YAML: dbt 1.11's partial parsing drops a singular test's YAML config
    when a file it depends on changes, and with it the Dagster `ref`. In Dagster, the check
    belongs to the allocated groups it checks. -#}
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'int_cost_groups_allocated'}}}) }}
{%- set money_columns = cost_group_money_columns() -%}
with

allocated as (

    select
        cost_group_key,
        {%- for column in money_columns %}
        sum({{ column }}) as allocated_{{ column }},
        {%- endfor %}
        min(line_item_count) as min_line_item_count,
        max(line_item_count) as max_line_item_count
    from {{ ref('int_cost_groups_allocated') }}
    group by cost_group_key

),

split_rows as (

    select
        cost_group_key,
        share_before,
        share_through,
        lag(share_through) over (
            partition by cost_group_key order by share_before, share_through
        ) as previous_share_through,
        row_number() over (partition by cost_group_key order by share_before, share_through) as recipient_number,
        row_number() over (
            partition by cost_group_key order by share_before desc, share_through desc
        ) as recipients_after
    from {{ ref('int_cost_groups_allocated') }}
    where shared_pool_id is not null

),

broken_share_chains as (

    select distinct cost_group_key
    from split_rows
    where share_before is null
        or share_through is null
        or (recipient_number = 1 and share_before <> 0)
        or (recipient_number > 1 and share_before <> previous_share_through)
        or (recipients_after = 1 and share_through <> 1)

),

cost_groups as (

    select
        cost_group_key,
        {%- for column in money_columns %}
        {{ column }},
        {%- endfor %}
        line_item_count
    from {{ ref('int_cost_groups') }}

),

compared as (

    select
        cost_groups.cost_group_key as source_cost_group_key,
        allocated.*,
        {%- for column in money_columns %}
        cost_groups.{{ column }} as source_{{ column }},
        {%- endfor %}
        cost_groups.line_item_count as source_line_item_count,
        broken_share_chains.cost_group_key is not null as share_chain_broken
    from cost_groups
    full outer join allocated
        on cost_groups.cost_group_key = allocated.cost_group_key
    left join broken_share_chains
        on coalesce(cost_groups.cost_group_key, allocated.cost_group_key) = broken_share_chains.cost_group_key

)

select *
from compared
where source_cost_group_key is null
    or cost_group_key is null
    or share_chain_broken
    or min_line_item_count <> source_line_item_count
    or max_line_item_count <> source_line_item_count
    {%- for column in money_columns %}
    or allocated_{{ column }} is distinct from source_{{ column }}
    {%- endfor %}
