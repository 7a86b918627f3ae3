{#
  How much of each day's spend is attributed by tags, by rules, or not at all, per provider
  and sub-account. Coverage is a share of effective cost; it is null when the day's
  effective cost is zero.
#}
with

cost_groups as (

    select * from {{ ref('int_cost_groups_allocated') }}

),

daily as (

    select
        charge_date,
        provider_name,
        billing_account_id,
        sub_account_id,
        billing_currency,
        sum(effective_cost) as effective_cost,
        sum(
            case when allocation_method like 'tag:%' then effective_cost else {{ to_money(0) }} end
        ) as tag_attributed_cost,
        sum(
            case when allocation_method like 'rule:%' then effective_cost else {{ to_money(0) }} end
        ) as rule_attributed_cost,
        sum(
            case when allocation_method like 'shared:%' then effective_cost else {{ to_money(0) }} end
        ) as shared_allocated_cost,
        sum(
            case when allocation_method = 'unallocated' then effective_cost else {{ to_money(0) }} end
        ) as unallocated_cost,
        cast(sum(line_item_count) as {{ dbt.type_bigint() }}) as line_item_count,
        cast(
            sum(case when allocation_method = 'unallocated' then line_item_count else 0 end) as {{ dbt.type_bigint() }}
        ) as unallocated_line_item_count

    from cost_groups
    group by
        charge_date,
        provider_name,
        billing_account_id,
        sub_account_id,
        billing_currency

),

final as (

    select
        *,
        {{ float_ratio('tag_attributed_cost', 'effective_cost') }} as tag_coverage,
        {{ float_ratio('tag_attributed_cost + rule_attributed_cost', 'effective_cost') }} as attributed_coverage

    from daily

)

select * from final
