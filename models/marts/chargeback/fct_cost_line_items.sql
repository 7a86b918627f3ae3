{#
  Every cost line, FOCUS-aligned (snake_case FOCUS names), with its team, workload phase and
  how each was decided. One row per source line item, or, for a line item a shared-cost pool
  splits, one row per recipient team (source_line_item_id links them to the source).
#}
with

allocated as (

    select * from {{ ref('int_cost_line_items_allocated') }}

),

final as (

    select
        line_item_id,
        source_line_item_id,
        source_system,
        provider_name,
        billing_account_id,
        sub_account_id,
        sub_account_name,
        invoice_month,
        billing_period_start,
        charge_period_start,
        charge_period_end,
        charge_category,
        charge_class,
        charge_description,
        cost_type,
        service_id,
        service_name,
        service_category,
        sku_id,
        resource_id,
        resource_name,
        region_id,
        location_id,
        consumed_quantity,
        consumed_unit,
        pricing_quantity,
        pricing_unit,
        billing_currency,
        billed_cost,
        effective_cost,
        list_cost,
        contracted_cost,
        credits_total,
        credits_committed_use,
        credits_sustained_use,
        credits_promotion,
        credits_discount,
        credits_other,
        resource_labels_json as tags,
        team,
        workload_phase,
        allocation_method,
        shared_pool_id,
        allocation_share,
        phase_method,
        unallocated_reason,
        team_label_value,
        export_time

    from allocated

)

select * from final
