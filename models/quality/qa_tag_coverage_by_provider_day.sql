{#
  Tag coverage per provider and usage day: the figures the data-quality checks gx_tag_coverage
  and gx_unallocated_growth judge (orchestration/quality). fct_tag_coverage_daily summed over
  billing accounts, sub-accounts and currencies.

  Coverage is a share of the cost teams own directly: shares of shared-cost pools (support, the tax
  on it, networking) carry no team tag by nature and are split by declared policy, so they are
  left out of both numerator and denominator rather than counted as missing tags.
#}
with

coverage as (

    select * from {{ ref('fct_tag_coverage_daily') }}

),

daily as (

    select
        provider_name,
        charge_date,
        sum(effective_cost) as effective_cost,
        sum(tag_attributed_cost) as tag_attributed_cost,
        sum(rule_attributed_cost) as rule_attributed_cost,
        sum(shared_allocated_cost) as shared_allocated_cost,
        sum(unallocated_cost) as unallocated_cost,
        sum(line_item_count) as line_item_count
    from coverage
    group by provider_name, charge_date

),

shares as (

    select
        *,
        effective_cost - shared_allocated_cost as direct_cost,
        case
            when effective_cost - shared_allocated_cost > 0
                then cast(tag_attributed_cost as {{ ratio_type() }})
                    / cast(effective_cost - shared_allocated_cost as {{ ratio_type() }})
        end as tag_coverage,
        case
            when effective_cost - shared_allocated_cost > 0
                then cast(tag_attributed_cost + rule_attributed_cost as {{ ratio_type() }})
                    / cast(effective_cost - shared_allocated_cost as {{ ratio_type() }})
        end as attributed_coverage,
        case
            when effective_cost > 0
                then cast(unallocated_cost as {{ ratio_type() }}) / cast(effective_cost as {{ ratio_type() }})
        end as unallocated_share
    from daily

),

final as (

    select
        *,
        unallocated_share - lag(unallocated_share) over (
            partition by provider_name order by charge_date
        ) as unallocated_share_increase
    from shares

)

select * from final
