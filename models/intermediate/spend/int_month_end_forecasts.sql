{#
  Month-end forecasts of every spend series, as they would have been made on every day of the
  bill: for each day taken as the newest day of data (`data_through`), the forecast of each month
  that still has unsettled days. fct_month_end_forecast takes the newest; the backtest
  (benchmarks/forecast_backtest.py) replays the others.

  Method: a seasonal run rate. The days of the last `export_settle_days` are still filling in, so
  history ends at `settled_through`; the forecast of the month is what settled plus, for each day
  after, the run rate (mean of the newest `forecast_level_days` settled days) times that weekday's
  factor (its mean over `forecast_history_days` settled days against theirs). The interval: the
  spread of a day around its weekday mean (sigma), for k days to come sigma * sqrt(k + k^2/n)
  (daily noise, plus the run rate's own uncertainty over its n days), times forecast_interval_z.
  The forecast and its bounds are rounded to the cent (to_money_estimate).
#}
{%- set settle_days = var('export_settle_days') %}
{%- set history_days = var('forecast_history_days') %}
{%- set level_days = var('forecast_level_days') %}
{%- set series = spend_series_columns() %}

with

daily as (

    select
        charge_date,
        {{ series | join(', ') }},
        effective_cost,
        cast(effective_cost as {{ ratio_type() }}) as daily_cost
    from {{ ref('int_spend_daily_series') }}

),

forecast_days as (

    select
        charge_date as data_through,
        {{ add_days(-settle_days, 'charge_date') }} as settled_through
    from (select distinct charge_date from daily) as calendar

),

history as (

    select
        forecast_days.data_through,
        {%- for column in series %}
        daily.{{ column }},
        {%- endfor %}
        daily.daily_cost,
        {{ day_of_week('daily.charge_date') }} as day_of_week,
        -- 0 for the newest settled day, 1 for the day before, ...
        {{ days_between('daily.charge_date', 'forecast_days.settled_through') }} as days_back,
        daily.charge_date > {{ add_days(-level_days, 'forecast_days.settled_through') }} as in_level_window
    from forecast_days
    inner join daily
        on
            forecast_days.settled_through >= daily.charge_date
            and {{ add_days(-history_days, 'forecast_days.settled_through') }} < daily.charge_date

),

run_rates as (

    select
        data_through,
        {{ series | join(', ') }},
        avg(case when in_level_window then daily_cost end) as run_rate,
        avg(daily_cost) as history_mean,
        sum(case when in_level_window then 1 else 0 end) as level_day_count,
        count(*) as history_day_count
    from history
    group by data_through, {{ series | join(', ') }}

),

weekdays as (

    select
        data_through,
        {{ series | join(', ') }},
        day_of_week,
        avg(daily_cost) as weekday_mean
    from history
    group by data_through, {{ series | join(', ') }}, day_of_week

),

weeks as (

    select
        data_through,
        {{ series | join(', ') }},
        floor(days_back / 7) as week_back,
        avg(daily_cost) as week_mean
    from history
    group by data_through, {{ series | join(', ') }}, floor(days_back / 7)

),

-- How far the level moves from week to week: the run rate's own uncertainty, which a level that
-- drifts or steps (growth, a new workload) makes larger than the daily noise alone would.
level_spreads as (

    select
        data_through,
        {{ series | join(', ') }},
        stddev_samp(week_mean) as week_sigma
    from weeks
    group by data_through, {{ series | join(', ') }}

),

spreads as (

    select
        history.data_through,
        {%- for column in series %}
        history.{{ column }},
        {%- endfor %}
        coalesce(stddev_samp(history.daily_cost - weekdays.weekday_mean), 0) as daily_sigma
    from history
    inner join weekdays
        on
            history.data_through = weekdays.data_through
            {%- for column in series %}
            and history.{{ column }} = weekdays.{{ column }}
            {%- endfor %}
            and history.day_of_week = weekdays.day_of_week
    group by history.data_through, {{ _prefixed(series, 'history.') | join(', ') }}

),

horizon as (

    select cast(generated_number as {{ dbt.type_int() }}) as days_ahead
    from ({{ dbt.generate_series(31 + settle_days) }}) as numbers

),

unsettled_days as (

    select
        forecast_days.data_through,
        {{ add_days('horizon.days_ahead', 'forecast_days.settled_through') }} as charge_date
    from forecast_days
    cross join horizon
    where
        {{ add_days('horizon.days_ahead', 'forecast_days.settled_through') }}
        <= {{ month_end('forecast_days.data_through') }}

),

expected_days as (

    select
        unsettled_days.data_through,
        {%- for column in series %}
        run_rates.{{ column }},
        {%- endfor %}
        {{ month_start('unsettled_days.charge_date') }} as charge_month,
        run_rates.run_rate * coalesce(weekdays.weekday_mean / nullif(run_rates.history_mean, 0), 1) as expected_cost,
        run_rates.level_day_count
    from unsettled_days
    inner join run_rates
        on unsettled_days.data_through = run_rates.data_through
    left join weekdays
        on
            run_rates.data_through = weekdays.data_through
            {%- for column in series %}
            and run_rates.{{ column }} = weekdays.{{ column }}
            {%- endfor %}
            and {{ day_of_week('unsettled_days.charge_date') }} = weekdays.day_of_week

),

expected_months as (

    select
        data_through,
        {{ series | join(', ') }},
        charge_month,
        sum(expected_cost) as expected_cost,
        count(*) as unsettled_day_count,
        max(level_day_count) as level_day_count
    from expected_days
    group by data_through, {{ series | join(', ') }}, charge_month

),

month_actuals as (

    select
        forecast_days.data_through,
        {%- for column in series %}
        daily.{{ column }},
        {%- endfor %}
        {{ month_start('daily.charge_date') }} as charge_month,
        sum(daily.effective_cost) as month_to_date_cost,
        sum(case when daily.charge_date <= forecast_days.settled_through then daily.daily_cost else 0 end)
            as settled_cost
    from forecast_days
    inner join daily
        on
            forecast_days.data_through >= daily.charge_date
            and {{ month_start(add_days(1, 'forecast_days.settled_through')) }} <= daily.charge_date
    group by
        forecast_days.data_through,
        {%- for column in series %}
        daily.{{ column }},
        {%- endfor %}
        {{ month_start('daily.charge_date') }}

),

forecasts as (

    select
        expected_months.data_through,
        expected_months.charge_month,
        {%- for column in series %}
        expected_months.{{ column }},
        {%- endfor %}
        coalesce(month_actuals.month_to_date_cost, 0) as month_to_date_cost,
        -- what has arrived is spent: the forecast never falls below it
        greatest(
            coalesce(month_actuals.settled_cost, 0) + expected_months.expected_cost,
            cast(coalesce(month_actuals.month_to_date_cost, 0) as {{ ratio_type() }})
        ) as forecast_value,
        {{ var('forecast_interval_z') }} * sqrt(
            expected_months.unsettled_day_count * spreads.daily_sigma * spreads.daily_sigma
            + expected_months.unsettled_day_count * expected_months.unsettled_day_count * (
                -- the level of the days to come may move as much as a week's mean moved in the
                -- history (growth, a workload starting or stopping); with one week of history,
                -- the run rate's own uncertainty from its days
                coalesce(
                    level_spreads.week_sigma * level_spreads.week_sigma,
                    spreads.daily_sigma * spreads.daily_sigma / greatest(expected_months.level_day_count, 1)
                )
            )
        ) as interval_half_width,
        expected_months.unsettled_day_count
    from expected_months
    inner join spreads
        on
            expected_months.data_through = spreads.data_through
            {%- for column in series %}
            and expected_months.{{ column }} = spreads.{{ column }}
            {%- endfor %}
    left join level_spreads
        on
            expected_months.data_through = level_spreads.data_through
            {%- for column in series %}
            and expected_months.{{ column }} = level_spreads.{{ column }}
            {%- endfor %}
    left join month_actuals
        on
            expected_months.data_through = month_actuals.data_through
            and expected_months.charge_month = month_actuals.charge_month
            {%- for column in series %}
            and expected_months.{{ column }} = month_actuals.{{ column }}
            {%- endfor %}

),

final as (

    select
        data_through,
        {{ add_days(-settle_days, 'data_through') }} as settled_through,
        charge_month,
        {{ series | join(', ') }},
        month_to_date_cost,
        -- again after rounding to the cent: never below what has arrived
        greatest({{ to_money_estimate('forecast_value') }}, month_to_date_cost) as forecast_cost,
        greatest({{ to_money_estimate('forecast_value - interval_half_width') }}, month_to_date_cost) as forecast_low,
        greatest({{ to_money_estimate('forecast_value + interval_half_width') }}, month_to_date_cost) as forecast_high,
        unsettled_day_count
    from forecasts

)

select * from final
