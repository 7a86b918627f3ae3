{#
  The costs no team owns yet, biggest first, so owners can fix tags at the source: one row
  per provider × billing account × currency × project × resource × reason × team label value
  seen. A few thousand rows even on a large bill: only unallocated rows are read, and they
  are aggregated once (no window over line items).
#}
with

unallocated_groups as (

    select * from {{ ref('int_cost_groups_allocated') }}
    where team = 'unallocated'

),

per_resource as (

    select
        provider_name,
        billing_account_id,
        billing_currency,
        sub_account_id,
        resource_id,
        resource_name,
        unallocated_reason,
        team_label_value,
        -- Attributes that are constant for a resource in practice; min() picks one deterministically.
        min(sub_account_name) as sub_account_name,
        min(service_name) as service_name,
        -- One sample of the labels (the alphabetically first label set), and how many sets there were:
        -- usually one per resource, and the sample shows owners which keys and values to fix.
        min(tags) as tags_sample,
        count(distinct tags) as distinct_tag_set_count,
        sum(effective_cost) as effective_cost,
        sum(billed_cost) as billed_cost,
        cast(sum(line_item_count) as {{ dbt.type_bigint() }}) as line_item_count,
        min(charge_date) as first_charge_date,
        max(charge_date) as last_charge_date,
        count(distinct charge_date) as charge_day_count

    from unallocated_groups
    group by
        provider_name,
        billing_account_id,
        billing_currency,
        sub_account_id,
        resource_id,
        resource_name,
        unallocated_reason,
        team_label_value

),

final as (

    select
        -- Largest first within a currency (amounts in different currencies do not compare).
        rank() over (partition by billing_currency order by effective_cost desc) as cost_rank,
        provider_name,
        billing_account_id,
        billing_currency,
        sub_account_id,
        sub_account_name,
        resource_id,
        resource_name,
        service_name,
        unallocated_reason,
        team_label_value,
        tags_sample,
        distinct_tag_set_count,
        effective_cost,
        billed_cost,
        line_item_count,
        first_charge_date,
        last_charge_date,
        charge_day_count

    from per_resource

)

select * from final
