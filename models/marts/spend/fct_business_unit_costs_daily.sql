{#
  The business's unit costs per day: cost per thousand requests served (inference cost) and per
  thousand documents processed (data preparation cost), per usage day (UTC), team and billing
  currency, where the team had that cost in the currency. The newest days are still filling in
  (export latency): their cost, so their unit cost, is not final.
#}
with

business_metrics as (

    select * from {{ ref('stg_business_metrics__metric_values') }}

),

daily_cost as (

    select * from {{ ref('fct_cost_daily') }}

),

business_unit_definitions as (

    {{ business_unit_definitions() }}

),

daily_metrics as (

    select
        metric_date,
        team,
        metric as business_metric,
        sum(metric_value) as metric_value
    from business_metrics
    group by metric_date, team, metric

),

daily_phase_cost as (

    select
        charge_date,
        team,
        billing_currency,
        workload_phase,
        sum(effective_cost) as effective_cost
    from daily_cost
    group by charge_date, team, billing_currency, workload_phase

),

final as (

    select
        daily_metrics.metric_date as charge_date,
        daily_metrics.team,
        daily_phase_cost.billing_currency,
        business_unit_definitions.metric,
        business_unit_definitions.subject,
        business_unit_definitions.quantity_unit,
        cast(daily_metrics.metric_value / business_unit_definitions.per_units as {{ ratio_type() }}) as quantity,
        {{ to_money('daily_phase_cost.effective_cost') }} as effective_cost,
        case
            when daily_metrics.metric_value > 0
                then
                    cast(daily_phase_cost.effective_cost as {{ ratio_type() }})
                    / cast(daily_metrics.metric_value / business_unit_definitions.per_units as {{ ratio_type() }})
        end as unit_cost
    from daily_metrics
    inner join business_unit_definitions
        on daily_metrics.business_metric = business_unit_definitions.business_metric
    inner join daily_phase_cost
        on
            daily_metrics.metric_date = daily_phase_cost.charge_date
            and daily_metrics.team = daily_phase_cost.team
            and business_unit_definitions.subject = daily_phase_cost.workload_phase
    where daily_phase_cost.effective_cost > 0

)

select * from final
