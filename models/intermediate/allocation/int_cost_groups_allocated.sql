{#
  Every attributed cost group after shared-cost pools (seeds/shared_cost_pools.csv).

  A group matched by a pool (first by priority) becomes one row per recipient team: its money is
  split exactly (split_money: the parts add back to the group to the last decimal), team = the
  recipient, allocation_method = `shared:<pool_id>`, and share_before / share_through carry the
  recipient's cumulative shares so fct_cost_line_items splits each line item of the group the
  same way. Other groups pass through unchanged, with null shares.

  Recipients and weights, per pool and allocation period (billing account, currency, and the
  usage day or the invoice month of the pool's basis_period):
  - even: equal weights over the teams listed for the pool in seeds/shared_cost_pool_weights.csv,
    or over every team of seeds/teams.csv when it lists none;
  - fixed: the listed weights;
  - proportional: each team's direct effective cost in the period (groups no pool matched, known
    team, positive total), limited to the listed teams if any are listed. A period in which no
    such team has positive direct cost falls back to `even`.
  A pooled group whose pool yields no recipient (a `fixed` pool without weights) stays as it was.

  Splitting a group's sum instead of each line item moves a recipient's amount by at most 10^-9
  per line item of the group (each is rounded to 9 places); both add back to the source exactly.
#}
{%- set money_columns = cost_group_money_columns() -%}
with

cost_groups as (

    select * from {{ ref('int_cost_groups_attributed') }}

),

pools as (

    select
        pool_id,
        priority,
        nullif(trim(team), '') as team,
        lower(trim(coalesce(sub_account_pattern, ''))) as sub_account_pattern,
        lower(trim(coalesce(service_pattern, ''))) as service_pattern,
        lower(trim(coalesce(sku_pattern, ''))) as sku_pattern,
        method,
        basis_period
    from {{ ref('shared_cost_pools') }}

),

pool_weights as (

    select
        pool_id,
        team,
        {{ to_money("nullif(trim(weight), '')") }} as weight
    from {{ ref('shared_cost_pool_weights') }}

),

teams as (

    select team from {{ ref('teams') }}

),

-- Effective cost per pool signature and day.
period_costs as (

    select
        team,
        coalesce(sub_account_id, '') as sub_account_key,
        coalesce(service_name, '') as service_key,
        coalesce(charge_description, '') as sku_key,
        billing_account_id,
        billing_currency,
        billing_period_start,
        charge_date,
        sum(effective_cost) as effective_cost
    from cost_groups
    group by 1, 2, 3, 4, 5, 6, 7, 8

),

signatures as (

    select distinct
        team,
        sub_account_key,
        service_key,
        sku_key
    from period_costs

),

signature_pool_candidates as (

    select
        signatures.team,
        signatures.sub_account_key,
        signatures.service_key,
        signatures.sku_key,
        pools.pool_id,
        pools.method,
        pools.basis_period,
        row_number() over (
            partition by signatures.team, signatures.sub_account_key, signatures.service_key, signatures.sku_key
            order by pools.priority, pools.pool_id
        ) as pool_rank
    from signatures
    inner join pools
        on (pools.team is null or signatures.team = pools.team)
            and (pools.sub_account_pattern = '' or lower(signatures.sub_account_key) like pools.sub_account_pattern)
            and (pools.service_pattern = '' or lower(signatures.service_key) like pools.service_pattern)
            and (pools.sku_pattern = '' or lower(signatures.sku_key) like pools.sku_pattern)

),

-- First matching pool wins.
signature_pools as (

    select
        team,
        sub_account_key,
        service_key,
        sku_key,
        pool_id,
        method,
        basis_period
    from signature_pool_candidates
    where pool_rank = 1

),

period_costs_pooled as (

    select
        period_costs.*,
        signature_pools.pool_id,
        signature_pools.method,
        signature_pools.basis_period
    from period_costs
    left join signature_pools
        on period_costs.team = signature_pools.team
            and period_costs.sub_account_key = signature_pools.sub_account_key
            and period_costs.service_key = signature_pools.service_key
            and period_costs.sku_key = signature_pools.sku_key

),

-- Direct cost: rows no pool takes, owned by a known team; per usage day and per invoice month.
direct_costs_by_day as (

    select
        period_costs_pooled.billing_account_id,
        period_costs_pooled.billing_currency,
        period_costs_pooled.billing_period_start,
        period_costs_pooled.charge_date,
        period_costs_pooled.team,
        sum(period_costs_pooled.effective_cost) as direct_cost
    from period_costs_pooled
    inner join teams
        on period_costs_pooled.team = teams.team
    where period_costs_pooled.pool_id is null
    group by 1, 2, 3, 4, 5

),

direct_costs as (

    select
        cast('day' as {{ dbt.type_string() }}) as basis_period,
        billing_account_id,
        billing_currency,
        charge_date as period_start,
        team,
        sum(direct_cost) as direct_cost
    from direct_costs_by_day
    group by 1, 2, 3, 4, 5

    union all

    select
        cast('month' as {{ dbt.type_string() }}) as basis_period,
        billing_account_id,
        billing_currency,
        billing_period_start as period_start,
        team,
        sum(direct_cost) as direct_cost
    from direct_costs_by_day
    group by 1, 2, 3, 4, 5

),

-- The periods each pool has costs to split in.
pool_periods as (

    select distinct
        pool_id,
        method,
        basis_period,
        billing_account_id,
        billing_currency,
        case when basis_period = 'day' then charge_date else billing_period_start end as period_start
    from period_costs_pooled
    where pool_id is not null

),

listed_pools as (

    select distinct pool_id from pool_weights

),

-- Who a pool may split to: its listed teams, or every team when it lists none.
pool_recipients as (

    select
        pool_weights.pool_id,
        pool_weights.team,
        pool_weights.weight
    from pool_weights
    inner join teams
        on pool_weights.team = teams.team

    union all

    select
        pools.pool_id,
        teams.team,
        cast(null as {{ money_type() }}) as weight
    from pools
    cross join teams
    left join listed_pools
        on pools.pool_id = listed_pools.pool_id
    where listed_pools.pool_id is null

),

-- Every (pool, period) with each team it may split to; the methods below weigh them.
period_recipients as (

    select
        pool_periods.pool_id,
        pool_periods.method,
        pool_periods.basis_period,
        pool_periods.billing_account_id,
        pool_periods.billing_currency,
        pool_periods.period_start,
        pool_recipients.team,
        pool_recipients.weight as listed_weight
    from pool_periods
    inner join pool_recipients
        on pool_periods.pool_id = pool_recipients.pool_id

),

proportional_weights as (

    select
        period_recipients.pool_id,
        period_recipients.billing_account_id,
        period_recipients.billing_currency,
        period_recipients.period_start,
        period_recipients.team,
        direct_costs.direct_cost as weight
    from period_recipients
    inner join direct_costs
        on period_recipients.basis_period = direct_costs.basis_period
            and period_recipients.billing_account_id = direct_costs.billing_account_id
            and period_recipients.billing_currency = direct_costs.billing_currency
            and period_recipients.period_start = direct_costs.period_start
            and period_recipients.team = direct_costs.team
    where period_recipients.method = 'proportional'
        and direct_costs.direct_cost > 0

),

proportional_periods_with_cost as (

    select distinct
        pool_id,
        billing_account_id,
        billing_currency,
        period_start
    from proportional_weights

),

-- `even`, and `proportional` periods without any recipient cost (documented fallback).
even_weights as (

    select
        period_recipients.pool_id,
        period_recipients.billing_account_id,
        period_recipients.billing_currency,
        period_recipients.period_start,
        period_recipients.team,
        {{ to_money(1) }} as weight
    from period_recipients
    left join proportional_periods_with_cost
        on period_recipients.pool_id = proportional_periods_with_cost.pool_id
            and period_recipients.billing_account_id = proportional_periods_with_cost.billing_account_id
            and period_recipients.billing_currency = proportional_periods_with_cost.billing_currency
            and period_recipients.period_start = proportional_periods_with_cost.period_start
    where period_recipients.method = 'even'
        or (period_recipients.method = 'proportional' and proportional_periods_with_cost.pool_id is null)

),

fixed_weights as (

    select
        pool_id,
        billing_account_id,
        billing_currency,
        period_start,
        team,
        listed_weight as weight
    from period_recipients
    where method = 'fixed'
        and listed_weight is not null  -- a fixed pool listing no teams has no recipient: rows stay

),

recipient_weights as (

    select * from proportional_weights
    union all
    select * from even_weights
    union all
    select * from fixed_weights

),

-- Cumulative weights in a fixed order (largest first, ties by team) for the exact split.
recipient_cumulative_weights as (

    select
        *,
        sum(weight) over (
            partition by pool_id, billing_account_id, billing_currency, period_start
            order by weight desc, team asc
            rows between unbounded preceding and current row
        ) as weight_through,
        sum(weight) over (partition by pool_id, billing_account_id, billing_currency, period_start) as total_weight
    from recipient_weights

),

recipient_shares as (

    select
        pool_id,
        billing_account_id,
        billing_currency,
        period_start,
        team,
        cast(weight as {{ ratio_type() }}) / cast(total_weight as {{ ratio_type() }}) as allocation_share,
        {{ share_ratio('weight_through - weight', 'total_weight') }} as share_before,
        {{ share_ratio('weight_through', 'total_weight') }} as share_through
    from recipient_cumulative_weights

),

final as (

    select
        cost_groups.cost_group_key,
        cost_groups.attribution_key,
        cost_groups.provider_name,
        cost_groups.billing_account_id,
        cost_groups.sub_account_id,
        cost_groups.sub_account_name,
        cost_groups.billing_currency,
        cost_groups.invoice_month,
        cost_groups.billing_period_start,
        cost_groups.charge_date,
        cost_groups.service_name,
        cost_groups.charge_description,
        cost_groups.resource_id,
        cost_groups.resource_name,
        cost_groups.resource_labels_json as tags,
        coalesce(recipient_shares.team, cost_groups.team) as team,
        case
            when recipient_shares.team is null then cost_groups.allocation_method
            else concat('shared:', recipient_shares.pool_id)
        end as allocation_method,
        -- a split row has an owner, whatever its source lacked
        case when recipient_shares.team is null then cost_groups.unallocated_reason end as unallocated_reason,
        cost_groups.team_label_value,
        cost_groups.workload_phase,
        cost_groups.phase_method,
        recipient_shares.pool_id as shared_pool_id,
        recipient_shares.allocation_share,
        recipient_shares.share_before,
        recipient_shares.share_through,
        {%- for column in money_columns %}
        {{ split_money_if_shared(
            'cost_groups.' ~ column, 'recipient_shares.share_before', 'recipient_shares.share_through'
        ) }} as {{ column }},
        {%- endfor %}
        cost_groups.line_item_count

    from cost_groups
    left join signature_pools
        on cost_groups.team = signature_pools.team
            and coalesce(cost_groups.sub_account_id, '') = signature_pools.sub_account_key
            and coalesce(cost_groups.service_name, '') = signature_pools.service_key
            and coalesce(cost_groups.charge_description, '') = signature_pools.sku_key
    left join recipient_shares
        on signature_pools.pool_id = recipient_shares.pool_id
            and cost_groups.billing_account_id = recipient_shares.billing_account_id
            and cost_groups.billing_currency = recipient_shares.billing_currency
            and case
                when signature_pools.basis_period = 'day' then cost_groups.charge_date
                else cost_groups.billing_period_start
            end = recipient_shares.period_start

)

select * from final
