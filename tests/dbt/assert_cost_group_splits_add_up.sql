{#
  The shared-cost allocation neither loses nor makes money: per cost group, Σ money of its rows in
  int_cost_groups_allocated (one row, or one per recipient) = the group in int_cost_groups,
  exactly, and every group is there. dbt build runs it before it builds the marts from the
  allocated groups, so a failure keeps them unpublished. Returns the groups that disagree.
#}
{#- Config in SQL, not YAML: see assert_gcp_cost_conserved.sql. -#}
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
        cost_groups.line_item_count as source_line_item_count
    from cost_groups
    full outer join allocated
        on cost_groups.cost_group_key = allocated.cost_group_key

)

select *
from compared
where source_cost_group_key is null
    or cost_group_key is null
    or min_line_item_count <> source_line_item_count
    or max_line_item_count <> source_line_item_count
    {%- for column in money_columns %}
    or allocated_{{ column }} is distinct from source_{{ column }}
    {%- endfor %}
