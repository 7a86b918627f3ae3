{# Daily cost by team, phase, provider, service and sub-account, for trends and dashboards. #}
with

cost_groups as (

    select * from {{ ref('int_cost_groups_allocated') }}

),

final as (

    select
        charge_date,
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
        cast(sum(line_item_count) as {{ dbt.type_bigint() }}) as line_item_count

    from cost_groups
    group by
        charge_date,
        provider_name,
        billing_account_id,
        sub_account_id,
        service_name,
        billing_currency,
        team,
        workload_phase

)

select * from final
