{#
  The shared-cost pool configuration is usable: a `fixed` pool lists recipients whose weights
  are positive and sum to exactly 1; `even` and `proportional` pools leave weights empty.
  One row per problem, naming the seed, the pool, the team and what is wrong.
#}
{#- Config here, not in the YAML: dbt 1.11's partial parsing drops a singular test's YAML config
    when a file it depends on changes, and with it the Dagster `ref`. In Dagster, the check
    belongs to the weights seed it checks. #}
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'shared_cost_pool_weights'}}}) }}
with

pools as (

    select pool_id, method from {{ ref('shared_cost_pools') }}

),

weights as (

    select
        pool_id,
        team,
        nullif(trim(weight), '') as weight_text,
        {{ to_money("nullif(trim(weight), '')") }} as weight
    from {{ ref('shared_cost_pool_weights') }}

),

weight_problems as (

    select
        'shared_cost_pool_weights' as seed_name,
        weights.pool_id,
        weights.team,
        case
            when pools.method = 'fixed' and weights.weight is null
                then 'a fixed pool needs a weight for each listed team'
            when pools.method = 'fixed' and weights.weight <= 0
                then concat('weight must be positive, got ', weights.weight_text)
            when pools.method <> 'fixed' and weights.weight is not null
                then concat('weight is only used by fixed pools; this pool is ', pools.method)
        end as problem
    from weights
    inner join pools
        on weights.pool_id = pools.pool_id

),

fixed_pool_totals as (

    select
        'shared_cost_pool_weights' as seed_name,
        pools.pool_id,
        cast(null as {{ dbt.type_string() }}) as team,
        case
            when count(weights.team) = 0 then 'a fixed pool lists no recipient teams'
            when sum(weights.weight) <> 1 then concat('fixed weights must sum to 1, got ', cast(sum(weights.weight) as {{ dbt.type_string() }}))
        end as problem
    from pools
    left join weights
        on pools.pool_id = weights.pool_id
    where pools.method = 'fixed'
    group by pools.pool_id

)

select * from weight_problems where problem is not null
union all
select * from fixed_pool_totals where problem is not null
