{#
  Daily effective cost of every spend series (macros/spend/spend_series.sql): team x phase x
  provider x currency, with `all` rollups, one row per usage day from the series' first day to the
  newest day of the bill, days without cost as 0 (a quiet day is data, not a gap); series that
  never cost anything are left out. The calendar is the bill's own usage days: a real export has
  cost on every day.
#}
with

cost_groups as (

    select
        charge_date,
        team,
        workload_phase,
        provider_name,
        billing_currency,
        effective_cost
    from {{ ref('int_cost_groups_allocated') }}

),

calendar as (

    select distinct charge_date from cost_groups

),

daily as (

    {%- for grouping in spend_series_groupings() %}
    {%- set grouped = ['charge_date', 'team', 'billing_currency'] %}
    {%- for column in ['workload_phase', 'provider_name'] if grouping[column] == column %}
    {%- do grouped.append(column) %}
    {%- endfor %}

    select
        charge_date,
        team,
        {{ grouping['workload_phase'] }} as workload_phase,
        {{ grouping['provider_name'] }} as provider_name,
        billing_currency,
        sum(effective_cost) as effective_cost
    from cost_groups
    group by {{ grouped | join(', ') }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

series as (

    select
        team,
        workload_phase,
        provider_name,
        billing_currency,
        min(charge_date) as first_day
    from daily
    group by team, workload_phase, provider_name, billing_currency
    -- a series of nothing but zeros (a currency a team never spends in) has nothing to watch
    having max(abs(effective_cost)) > 0

),

final as (

    select
        calendar.charge_date,
        series.team,
        series.workload_phase,
        series.provider_name,
        series.billing_currency,
        coalesce(daily.effective_cost, 0) as effective_cost
    from series
    inner join calendar
        on series.first_day <= calendar.charge_date
    left join daily
        on
            calendar.charge_date = daily.charge_date
            and series.team = daily.team
            and series.workload_phase = daily.workload_phase
            and series.provider_name = daily.provider_name
            and series.billing_currency = daily.billing_currency

)

select * from final
