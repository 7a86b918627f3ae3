{#
  Each day of each anomaly series against its own recent history (the 28 days before it):

  - expected_cost: the median of the same weekday over the four weeks before (weekly seasonality;
    a median, so one odd day in the history does not move it);
  - robust_spread: 1.4826 x the median absolute deviation of the 28 days (a standard deviation
    that outliers do not inflate), at least 10 % of their median so a flat series is not flagged
    on pennies;
  - is_anomalous: only increases are flagged - the newest days are still filling in (export
    latency) and read low, never as anomalies - when the day exceeds the expected cost by more
    than var anomaly_z spreads and by at least var anomaly_min_daily_impact, and the series has 28
    days of history;
  - breaks_recent_high: the day cost more than any of the 28 before. fct_cost_anomalies keeps a
    run of anomalous days only when one of them does: a job that runs now and then reaches its
    usual peaks without being an anomaly.
#}
with

daily as (

    select * from {{ ref('int_anomaly_daily_costs') }}

),

history as (

    select
        current_day.series_key,
        current_day.charge_date,
        cast(past_day.effective_cost as {{ ratio_type() }}) as past_cost,
        mod({{ days_between('past_day.charge_date', 'current_day.charge_date') }}, 7) = 0 as same_weekday
    from daily as current_day
    inner join daily as past_day
        on
            current_day.series_key = past_day.series_key
            and current_day.charge_date > past_day.charge_date
            and {{ days_between('past_day.charge_date', 'current_day.charge_date') }} <= 28

),

medians as (

    select
        series_key,
        charge_date,
        count(*) as history_days,
        max(past_cost) as recent_high_cost,
        {{ median('past_cost') }} as median_cost,
        {{ median('case when same_weekday then past_cost end') }} as weekday_median_cost
    from history
    group by series_key, charge_date

),

deviations as (

    select
        history.series_key,
        history.charge_date,
        {{ median('abs(history.past_cost - medians.median_cost)') }} as median_absolute_deviation
    from history
    inner join medians
        on
            history.series_key = medians.series_key
            and history.charge_date = medians.charge_date
    group by history.series_key, history.charge_date

),

scored as (

    select
        daily.series_key,
        daily.billing_currency,
        daily.team,
        daily.workload_phase,
        daily.service_name,
        daily.resource_id,
        daily.charge_date,
        daily.data_through,
        daily.effective_cost,
        coalesce(medians.history_days, 0) as history_days,
        medians.recent_high_cost,
        {{ to_money_estimate('medians.weekday_median_cost') }} as expected_cost,
        greatest(
            1.4826 * deviations.median_absolute_deviation, 0.1 * medians.median_cost
        ) as robust_spread
    from daily
    left join medians
        on
            daily.series_key = medians.series_key
            and daily.charge_date = medians.charge_date
    left join deviations
        on
            daily.series_key = deviations.series_key
            and daily.charge_date = deviations.charge_date

),

final as (

    select
        *,
        coalesce(
            history_days >= 28
            and cast(effective_cost as {{ ratio_type() }}) - expected_cost > {{ var('anomaly_z') }} * robust_spread
            and cast(effective_cost as {{ ratio_type() }}) - expected_cost >= {{ var('anomaly_min_daily_impact') }},
            false
        ) as is_anomalous,
        coalesce(cast(effective_cost as {{ ratio_type() }}) > recent_high_cost, false) as breaks_recent_high
    from scored

)

select * from final
