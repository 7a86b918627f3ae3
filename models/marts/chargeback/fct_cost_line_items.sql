{#
  Every cost line, FOCUS-aligned (snake_case FOCUS names), with its team, workload phase and
  how each was decided. One row per source line item.
#}
with

attributed as (

    select * from {{ ref('int_cost_line_items_attributed') }}

),

service_categories as (

    select * from {{ ref('service_categories') }}

),

final as (

    select
        attributed.line_item_id,
        cast('gcp_billing_export' as {{ dbt.type_string() }}) as source_system,
        cast('Google Cloud' as {{ dbt.type_string() }}) as provider_name,
        attributed.billing_account_id,
        attributed.project_id as sub_account_id,
        attributed.project_name as sub_account_name,
        attributed.invoice_month,
        cast(concat(attributed.invoice_month, '-01') as date) as billing_period_start,
        attributed.usage_start_time as charge_period_start,
        attributed.usage_end_time as charge_period_end,
        case attributed.cost_type
            when 'tax' then 'Tax'
            when 'adjustment' then 'Adjustment'
            when 'rounding_error' then 'Adjustment'
            else 'Usage'
        end as charge_category,
        case when attributed.cost_type = 'adjustment' then 'Correction' end as charge_class,
        attributed.sku_description as charge_description,
        attributed.cost_type,
        attributed.service_id,
        attributed.service_description as service_name,
        coalesce(service_categories.service_category, 'Other') as service_category,
        attributed.sku_id,
        attributed.resource_global_name as resource_id,
        attributed.resource_name,
        attributed.location_region as region_id,
        attributed.location as location_id,
        attributed.usage_amount as consumed_quantity,
        attributed.usage_unit as consumed_unit,
        attributed.usage_amount_in_pricing_units as pricing_quantity,
        attributed.usage_pricing_unit as pricing_unit,
        attributed.currency as billing_currency,
        attributed.cost + attributed.credits_total as billed_cost,
        attributed.cost + attributed.credits_total as effective_cost,
        attributed.cost_at_list as list_cost,
        attributed.cost as contracted_cost,
        attributed.credits_total,
        attributed.credits_committed_use,
        attributed.credits_sustained_use,
        attributed.credits_promotion,
        attributed.credits_discount,
        attributed.credits_other,
        {{ labels_to_json('attributed.resource_labels') }} as tags,
        attributed.team,
        attributed.workload_phase,
        attributed.allocation_method,
        attributed.phase_method,
        attributed.unallocated_reason,
        attributed.team_label_value,
        attributed.export_time

    from attributed
    left join service_categories
        on service_categories.provider_name = 'Google Cloud'
        and attributed.service_description = service_categories.service_name

)

select * from final
