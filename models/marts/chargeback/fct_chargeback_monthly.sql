{#
  What each team is charged per invoice month: effective cost split into direct cost and
  shared cost (rows allocated from a shared-cost pool, `allocation_method` = `shared:<pool>`).
#}
with

line_items as (

    select * from {{ ref('fct_cost_line_items') }}

),

final as (

    select
        invoice_month,
        billing_period_start,
        provider_name,
        billing_account_id,
        billing_currency,
        team,
        workload_phase,
        sum(case when allocation_method like 'shared:%' then {{ to_money(0) }} else effective_cost end) as direct_cost,
        sum(case when allocation_method like 'shared:%' then effective_cost else {{ to_money(0) }} end) as shared_cost,
        sum(effective_cost) as effective_cost,
        sum(billed_cost) as billed_cost,
        sum(list_cost) as list_cost,
        sum(credits_total) as credits_total,
        count(*) as line_item_count

    from line_items
    group by
        invoice_month,
        billing_period_start,
        provider_name,
        billing_account_id,
        billing_currency,
        team,
        workload_phase

)

select * from final
