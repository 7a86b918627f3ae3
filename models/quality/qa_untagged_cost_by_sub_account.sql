{#
  Where the untagged cost is: per provider, sub-account and service, the effective cost teams own
  that no tag attributed (a rule did, or nobody: unallocated), largest first. The top offenders
  the data-quality check gx_tag_coverage names when coverage is low. Shares of shared-cost pools
  are attributed by policy, not missing a tag, and are left out.
#}
with

cost_groups as (

    select * from {{ ref('int_cost_groups_allocated') }}

),

untagged as (

    select
        provider_name,
        coalesce(sub_account_id, '(no project)') as sub_account_id,
        service_name,
        sum(effective_cost) as untagged_cost,
        sum(
            case when allocation_method = 'unallocated' then effective_cost else {{ to_money(0) }} end
        ) as unallocated_cost,
        cast(sum(line_item_count) as {{ dbt.type_bigint() }}) as line_item_count
    from cost_groups
    where allocation_method not like 'tag:%'
        and allocation_method not like 'shared:%'
    group by provider_name, coalesce(sub_account_id, '(no project)'), service_name

),

final as (

    select
        row_number() over (
            order by untagged_cost desc, provider_name asc, sub_account_id asc, service_name asc
        ) as untagged_cost_rank,
        *
    from untagged

)

select * from final
