{#
  The month-end forecast of every spend series for the months still open on the bill's newest
  day: int_month_end_forecasts as of now.
#}
with

forecasts as (

    select * from {{ ref('int_month_end_forecasts') }}

),

final as (

    select
        charge_month,
        team,
        workload_phase,
        provider_name,
        billing_currency,
        data_through,
        settled_through,
        month_to_date_cost,
        forecast_cost,
        forecast_low,
        forecast_high,
        unsettled_day_count,
        cast('seasonal_run_rate' as {{ dbt.type_string() }}) as method
    from forecasts
    where data_through = (select max(newest.data_through) from forecasts as newest)

)

select * from final
