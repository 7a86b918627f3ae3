{#
  Line items of every source in one FOCUS-aligned shape (FOCUS column names in snake_case),
  with the label arrays attribution reads. Each source is one CTE mapped to the same columns;
  new sources join with `union all`. Today: the GCP detailed usage cost export.

  attribution_key fingerprints everything attribution reads (macros/attribution/cost_group_keys.sql):
  line items with equal keys get the same team and phase, so attribution runs per key, not per
  line item. A view: the key is computed only by the models that read it.
#}
with

gcp_line_items as (

    select * from {{ ref('stg_gcp_billing_export__cost_line_items') }}

),

service_categories as (

    select * from {{ ref('service_categories') }}

),

gcp_focus_aligned as (

    select
        gcp_line_items.line_item_id,
        gcp_line_items.source_row_id,
        cast('gcp_billing_export' as {{ dbt.type_string() }}) as source_system,
        cast('Google Cloud' as {{ dbt.type_string() }}) as provider_name,
        gcp_line_items.billing_account_id,
        gcp_line_items.project_id as sub_account_id,
        gcp_line_items.project_name as sub_account_name,
        gcp_line_items.invoice_month,
        {{ billing_period_start('gcp_line_items.invoice_month') }} as billing_period_start,
        gcp_line_items.usage_start_time as charge_period_start,
        gcp_line_items.usage_end_time as charge_period_end,
        cast(gcp_line_items.usage_start_time as date) as charge_date,
        case gcp_line_items.cost_type
            when 'tax' then 'Tax'
            when 'adjustment' then 'Adjustment'
            when 'rounding_error' then 'Adjustment'
            else 'Usage'
        end as charge_category,
        case when gcp_line_items.cost_type = 'adjustment' then 'Correction' end as charge_class,
        gcp_line_items.sku_description as charge_description,
        gcp_line_items.cost_type,
        gcp_line_items.service_id,
        gcp_line_items.service_description as service_name,
        coalesce(service_categories.service_category, 'Other') as service_category,
        gcp_line_items.sku_id,
        gcp_line_items.resource_global_name as resource_id,
        gcp_line_items.resource_name,
        gcp_line_items.location_region as region_id,
        gcp_line_items.location as location_id,
        gcp_line_items.usage_amount as consumed_quantity,
        gcp_line_items.usage_unit as consumed_unit,
        gcp_line_items.usage_amount_in_pricing_units as pricing_quantity,
        gcp_line_items.usage_pricing_unit as pricing_unit,
        gcp_line_items.currency as billing_currency,
        -- Credits stay on their row: billed and effective cost are net of them.
        gcp_line_items.cost + gcp_line_items.credits_total as billed_cost,
        gcp_line_items.cost + gcp_line_items.credits_total as effective_cost,
        gcp_line_items.cost_at_list as list_cost,
        gcp_line_items.cost as contracted_cost,
        gcp_line_items.credits_total,
        gcp_line_items.credits_committed_use,
        gcp_line_items.credits_sustained_use,
        gcp_line_items.credits_promotion,
        gcp_line_items.credits_discount,
        gcp_line_items.credits_other,
        gcp_line_items.resource_labels,
        gcp_line_items.project_labels,
        gcp_line_items.resource_tags,
        gcp_line_items.project_ancestors,
        gcp_line_items.project_ancestry_numbers,
        gcp_line_items.export_time

    from gcp_line_items
    left join service_categories
        on service_categories.provider_name = 'Google Cloud'
            and gcp_line_items.service_description = service_categories.service_name

),

final as (

    select
        *,
        {{ attribution_key() }} as attribution_key
    from gcp_focus_aligned

)

select * from final
