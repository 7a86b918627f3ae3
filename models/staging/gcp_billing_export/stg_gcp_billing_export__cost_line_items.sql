{#
  One row per export row: nested records flattened to columns, FLOATs converted to exact
  money, credits summed per row by type (never unnested into extra rows), and a stable
  line_item_id. Labels and tags stay arrays; attribution reads them in intermediate models.
#}
{#- Credits by kind (the export's credits.type); every other type is credits_other. -#}
{%- set credit_types = {
    'credits_committed_use': ['COMMITTED_USAGE_DISCOUNT', 'COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE', 'FEE_UTILIZATION_OFFSET'],
    'credits_sustained_use': ['SUSTAINED_USAGE_DISCOUNT'],
    'credits_promotion': ['PROMOTION', 'FREE_TIER'],
    'credits_discount': ['DISCOUNT', 'RESELLER_MARGIN', 'SUBSCRIPTION_BENEFIT'],
} %}
with

source as (

    select
        -- locates the export row, for int_attribution_signatures (macros/warehouse/source_row_id.sql)
        {{ source_row_id() }} as source_row_id,
        *
    from {{ source('gcp_billing_export', 'detailed_usage_cost') }}

),

flattened as (

    select
        source.source_row_id,
        source.billing_account_id,
        service.id as service_id,
        service.description as service_description,
        sku.id as sku_id,
        sku.description as sku_description,
        source.usage_start_time,
        source.usage_end_time,
        source.export_time,
        project.id as project_id,
        project.number as project_number,
        project.name as project_name,
        project.labels as project_labels,
        project.ancestry_numbers as project_ancestry_numbers,
        project.ancestors as project_ancestors,
        source.labels as resource_labels,
        source.system_labels,
        source.tags as resource_tags,
        location.location,
        location.country as location_country,
        location.region as location_region,
        location.zone as location_zone,
        resource.name as resource_name,
        resource.global_name as resource_global_name,
        source.cost_type,
        adjustment_info.id as adjustment_id,
        adjustment_info.description as adjustment_description,
        adjustment_info.mode as adjustment_mode,
        adjustment_info.type as adjustment_type,
        source.currency,
        source.currency_conversion_rate,
        invoice.month as invoice_month_yyyymm,
        invoice.publisher_type as invoice_publisher_type,
        source.transaction_type,
        source.seller_name,
        usage.amount as usage_amount,
        usage.unit as usage_unit,
        usage.amount_in_pricing_units as usage_amount_in_pricing_units,
        usage.pricing_unit as usage_pricing_unit,
        price.effective_price as price_effective_price,
        price.list_price as price_list_price,
        {{ to_money('cost') }} as cost,
        {{ to_money('cost_at_list') }} as cost_at_list,
        {{ sum_credits('credits') }} as credits_total,
        {%- for column, types in credit_types.items() %}
        {{ sum_credits('credits', types=types) }} as {{ column }},
        {%- endfor %}
        {{ sum_credits('credits', exclude_types=credit_types.values() | sum(start=[])) }} as credits_other,
        -- Unique without a window over the wide rows (which would cost more than the rest of the
        -- model): rows identical in every one of these fields fail the unique test on
        -- fct_cost_line_items instead of being merged or dropped.
        {{ dbt.hash(line_item_key([
            'billing_account_id', 'service.id', 'sku.id', 'project.id', 'resource.global_name',
            'location.location',
            timestamp_micros_text('usage_start_time'), timestamp_micros_text('usage_end_time'),
            timestamp_micros_text('export_time'),
            'cost_type', 'adjustment_info.id', fixed9('cost'), fixed9('usage.amount'),
        ])) }} as line_item_id,
        {{ invoice_month('invoice.month') }} as invoice_month

    from source

),

final as (

    select * from flattened

)

select * from final
