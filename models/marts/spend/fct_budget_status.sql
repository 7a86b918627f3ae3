{#
  Every budget (seeds/budgets.csv) in every month of the bill it is valid for: spent so far, the
  month-end forecast with its interval, and whether the team will be surprised. A month that has
  settled is its own forecast.
#}
{%- set series = spend_series_columns() %}

with

budgets as (

    select
        budget_id,
        team,
        coalesce(nullif(workload_phase, ''), '{{ all_value() }}') as workload_phase,
        coalesce(nullif(provider_name, ''), '{{ all_value() }}') as provider_name,
        billing_currency,
        {{ to_money('trim(monthly_amount)') }} as budget_amount,
        {{ billing_period_start('valid_from_month') }} as valid_from,
        case
            when nullif(valid_to_month, '') is not null then {{ billing_period_start('valid_to_month') }}
        end as valid_to,
        owner_contact
    from {{ ref('budgets') }}

),

daily as (

    select * from {{ ref('int_spend_daily_series') }}

),

month_costs as (

    select
        {{ month_start('charge_date') }} as charge_month,
        {{ series | join(', ') }},
        sum(effective_cost) as month_to_date_cost
    from daily
    group by {{ month_start('charge_date') }}, {{ series | join(', ') }}

),

bill_months as (

    select
        {{ month_start('charge_date') }} as charge_month,
        max(charge_date) as data_through
    from daily
    group by {{ month_start('charge_date') }}

),

forecasts as (

    select * from {{ ref('fct_month_end_forecast') }}

),

budget_months as (

    select
        bill_months.charge_month,
        bill_months.data_through,
        budgets.*
    from budgets
    inner join bill_months
        on
            budgets.valid_from <= bill_months.charge_month
            and (budgets.valid_to is null or budgets.valid_to >= bill_months.charge_month)

),

figures as (

    select
        budget_months.charge_month,
        budget_months.budget_id,
        {%- for column in series %}
        budget_months.{{ column }},
        {%- endfor %}
        budget_months.budget_amount,
        coalesce(month_costs.month_to_date_cost, 0) as month_to_date_cost,
        coalesce(forecasts.forecast_cost, month_costs.month_to_date_cost, 0) as forecast_cost,
        coalesce(forecasts.forecast_low, month_costs.month_to_date_cost, 0) as forecast_low,
        coalesce(forecasts.forecast_high, month_costs.month_to_date_cost, 0) as forecast_high,
        budget_months.owner_contact,
        budget_months.data_through
    from budget_months
    left join month_costs
        on
            budget_months.charge_month = month_costs.charge_month
            {%- for column in series %}
            and budget_months.{{ column }} = month_costs.{{ column }}
            {%- endfor %}
    left join forecasts
        on
            budget_months.charge_month = forecasts.charge_month
            {%- for column in series %}
            and budget_months.{{ column }} = forecasts.{{ column }}
            {%- endfor %}

),

final as (

    select
        charge_month,
        budget_id,
        {{ series | join(', ') }},
        budget_amount,
        month_to_date_cost,
        forecast_cost,
        forecast_low,
        forecast_high,
        forecast_cost - budget_amount as projected_over_under,
        case
            when month_to_date_cost > budget_amount then 'over'
            when forecast_cost > budget_amount then 'at_risk'
            else 'on_track'
        end as status,
        owner_contact,
        data_through
    from figures

)

select * from final
