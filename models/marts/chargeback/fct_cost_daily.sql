{# Daily cost by team, phase, provider, service and sub-account, for trends and dashboards. #}
with

line_items as (

    select * from {{ ref('fct_cost_line_items') }}

),

final as (

    select
        cast(charge_period_start as date) as charge_date,
        provider_name,
        billing_account_id,
        sub_account_id,
        service_name,
        billing_currency,
        team,
        workload_phase,
        sum(effective_cost) as effective_cost,
        sum(billed_cost) as billed_cost,
        sum(list_cost) as list_cost,
        sum(credits_total) as credits_total,
        count(*) as line_item_count

    from line_items
    group by
        cast(charge_period_start as date),
        provider_name,
        billing_account_id,
        sub_account_id,
        service_name,
        billing_currency,
        team,
        workload_phase

)

select * from final
