{#
  Every cost line, FOCUS-aligned (snake_case FOCUS names), with its team, workload phase and
  how each was decided. One row per source line item, or, for a line item a shared-cost pool
  splits, one row per recipient team (source_line_item_id links them to the source).

  Each line item takes team, phase and pool shares from its cost group (int_cost_groups_allocated,
  joined on cost_group_key), where they were decided once for every line item alike; a split
  line item's money is split here, per line item, with its group's cumulative shares, so every
  split adds back to its source row exactly.

  Materialized per warehouse (line_items_materialization): a view in DuckDB, where reading the
  local export again costs a second or two but writing ten million wide rows would cost more than
  the whole build; a table in BigQuery, which bills every scan of the export.
#}
{{ config(materialized=line_items_materialization()) }}
{%- set money_columns = line_item_money_columns() -%}
with

line_items as (

    select * from {{ ref('int_cost_line_items_focus_aligned') }}

),

cost_groups as (

    select * from {{ ref('int_cost_groups_allocated') }}

),

final as (

    select
        case
            when cost_groups.shared_pool_id is null then line_items.line_item_id
            else concat(line_items.line_item_id, ':', cost_groups.team)
        end as line_item_id,
        line_items.line_item_id as source_line_item_id,
        line_items.source_system,
        line_items.provider_name,
        line_items.billing_account_id,
        line_items.sub_account_id,
        line_items.sub_account_name,
        line_items.invoice_month,
        line_items.billing_period_start,
        line_items.charge_period_start,
        line_items.charge_period_end,
        line_items.charge_category,
        line_items.charge_class,
        line_items.charge_description,
        line_items.cost_type,
        line_items.service_id,
        line_items.service_name,
        line_items.service_category,
        line_items.sku_id,
        line_items.resource_id,
        line_items.resource_name,
        line_items.region_id,
        line_items.location_id,
        -- quantities are floats: scaled by the share so usage is not counted once per recipient
        case
            when cost_groups.shared_pool_id is null then line_items.consumed_quantity
            else line_items.consumed_quantity * cost_groups.allocation_share
        end as consumed_quantity,
        line_items.consumed_unit,
        case
            when cost_groups.shared_pool_id is null then line_items.pricing_quantity
            else line_items.pricing_quantity * cost_groups.allocation_share
        end as pricing_quantity,
        line_items.pricing_unit,
        line_items.billing_currency,
        {%- for column in money_columns %}
        {{ split_money_if_shared(
            'line_items.' ~ column, 'cost_groups.share_before', 'cost_groups.share_through'
        ) }} as {{ column }},
        {%- endfor %}
        cost_groups.tags,
        cost_groups.team,
        cost_groups.workload_phase,
        cost_groups.allocation_method,
        cost_groups.shared_pool_id,
        cost_groups.allocation_share,
        cost_groups.phase_method,
        cost_groups.unallocated_reason,
        cost_groups.team_label_value,
        line_items.export_time

    from line_items
    inner join cost_groups
        on {{ cost_group_key('line_items') }} = cost_groups.cost_group_key

)

select * from final
