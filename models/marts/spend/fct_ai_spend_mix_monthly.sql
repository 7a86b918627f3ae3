{#
  The inference share of AI spend per usage month, team and billing currency, and its change
  from the month before: the margin question in one number. AI spend is the effective cost of
  the AI phases (seeds/workload_phases.csv, is_ai); team = 'all' sums every team. The previous
  month is the calendar month before (null when that month had no AI spend), not merely the
  latest earlier row.
#}
with

daily_cost as (

    select * from {{ ref('fct_cost_daily') }}

),

workload_phases as (

    select * from {{ ref('workload_phases') }}

),

ai_daily_cost as (

    select
        cast({{ dbt.date_trunc('month', 'daily_cost.charge_date') }} as date) as charge_month,
        daily_cost.team,
        daily_cost.billing_currency,
        daily_cost.workload_phase,
        daily_cost.effective_cost
    from daily_cost
    inner join workload_phases
        on daily_cost.workload_phase = workload_phases.workload_phase
    where workload_phases.is_ai

),

per_team as (

    select
        charge_month,
        team,
        billing_currency,
        sum(effective_cost) as ai_cost,
        sum(case when workload_phase = 'inference' then effective_cost else {{ to_money(0) }} end) as inference_cost
    from ai_daily_cost
    group by charge_month, team, billing_currency

),

all_teams as (

    select
        charge_month,
        '{{ all_value() }}' as team,
        billing_currency,
        sum(ai_cost) as ai_cost,
        sum(inference_cost) as inference_cost
    from per_team
    group by charge_month, billing_currency

),

monthly as (

    select
        charge_month,
        team,
        billing_currency,
        ai_cost,
        inference_cost,
        {{ float_ratio('inference_cost', 'ai_cost') }} as inference_share
    from (
        select * from per_team
        union all
        select * from all_teams
    ) as combined

),

final as (

    select
        monthly.charge_month,
        monthly.team,
        monthly.billing_currency,
        {{ to_money('monthly.ai_cost') }} as ai_cost,
        {{ to_money('monthly.inference_cost') }} as inference_cost,
        monthly.inference_share,
        previous_month.inference_share as previous_inference_share,
        monthly.inference_share - previous_month.inference_share as inference_share_change
    from monthly
    left join monthly as previous_month
        on
            monthly.team = previous_month.team
            and monthly.billing_currency = previous_month.billing_currency
            and previous_month.charge_month = cast({{ dbt.dateadd('month', -1, 'monthly.charge_month') }} as date)

)

select * from final
