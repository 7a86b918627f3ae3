{#
  What each team is charged per invoice month: effective cost split into direct cost and
  shared cost (rows allocated from a shared-cost pool, `allocation_method` = `shared:<pool>`).
#}
with

cost_groups as (

    select * from {{ ref('int_cost_groups_allocated') }}

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
        cast(sum(line_item_count) as {{ dbt.type_bigint() }}) as line_item_count

    from cost_groups
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
