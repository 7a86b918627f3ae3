{#
  Unit costs per usage month, team and billing currency: what one unit of AI work cost.

  From the billing data (the usage rows of fct_cost_line_items, cost_type 'regular'):
  - cost_per_million_input_tokens / cost_per_million_output_tokens, subject = the model;
  - cost_per_accelerator_hour, subject = the accelerator (every SKU billing one by the hour:
    Compute Engine, Vertex AI training, prediction, Workbench);
  - cost_per_prediction_accelerator_hour and cost_per_prediction_vcpu_hour: Vertex AI online
    prediction, which bills a node by its parts (each accelerator and each vCPU by the hour) and
    names no node count in the export.
  From the business (stg_business_metrics__metric_values), summed per month:
  - cost_per_thousand_requests (requests_served against the team's inference cost),
    cost_per_thousand_documents (documents_processed against its data preparation cost).
    Only where the team had that cost in the currency (a positive amount).

  Quantities are the line items' pricing quantities, summed as exact decimals (to_quantity) so
  both warehouses agree to the last digit. A line item a shared-cost pool splits carries its
  quantity scaled by each recipient's share (fct_cost_line_items), so the teams' quantities add
  up to the line item's once. team = 'all' sums the teams' rows.
#}
with

line_items as (

    select * from {{ ref('fct_cost_line_items') }}

),

business_metrics as (

    select * from {{ ref('stg_business_metrics__metric_values') }}

),

daily_cost as (

    select * from {{ ref('fct_cost_daily') }}

),

usage_line_items as (

    select
        cast({{ dbt.date_trunc('month', 'cast(charge_period_start as date)') }} as date) as charge_month,
        team,
        billing_currency,
        charge_description,
        pricing_unit,
        pricing_quantity,
        effective_cost,
        contracted_cost,
        {{ token_direction('charge_description') }} as token_direction,
        {{ token_model('charge_description') }} as token_model,
        {{ accelerator_type('charge_description') }} as accelerator_type,
        charge_description like '%Online Prediction%' as is_online_prediction
    from line_items
    where cost_type = 'regular' and pricing_quantity is not null

),

billing_unit_rows as (

    select
        charge_month,
        team,
        billing_currency,
        concat('cost_per_million_', token_direction, '_tokens') as metric,
        token_model as subject,
        'million tokens' as quantity_unit,
        {{ to_quantity('pricing_quantity / 1000000.0') }} as quantity,
        effective_cost,
        contracted_cost
    from usage_line_items
    where token_direction is not null and pricing_unit = 'count'

    union all

    select
        charge_month,
        team,
        billing_currency,
        'cost_per_accelerator_hour' as metric,
        accelerator_type as subject,
        'accelerator hour' as quantity_unit,
        {{ to_quantity('pricing_quantity') }} as quantity,
        effective_cost,
        contracted_cost
    from usage_line_items
    where accelerator_type is not null and pricing_unit = 'hour'

    union all

    select
        charge_month,
        team,
        billing_currency,
        case
            when accelerator_type is not null then 'cost_per_prediction_accelerator_hour'
            else 'cost_per_prediction_vcpu_hour'
        end as metric,
        coalesce(accelerator_type, 'vCPU') as subject,
        case when accelerator_type is not null then 'accelerator hour' else 'vCPU hour' end as quantity_unit,
        {{ to_quantity('pricing_quantity') }} as quantity,
        effective_cost,
        contracted_cost
    from usage_line_items
    where
        is_online_prediction
        and pricing_unit = 'hour'
        and (accelerator_type is not null or charge_description like '%Instance Core%')

),

business_unit_definitions as (

    {{ business_unit_definitions() }}

),

monthly_business_metrics as (

    select
        cast({{ dbt.date_trunc('month', 'metric_date') }} as date) as charge_month,
        team,
        metric as business_metric,
        sum(metric_value) as metric_value
    from business_metrics
    group by charge_month, team, business_metric

),

monthly_phase_cost as (

    select
        cast({{ dbt.date_trunc('month', 'charge_date') }} as date) as charge_month,
        team,
        billing_currency,
        workload_phase,
        sum(effective_cost) as effective_cost
    from daily_cost
    group by charge_month, team, billing_currency, workload_phase

),

business_unit_rows as (

    select
        monthly_business_metrics.charge_month,
        monthly_business_metrics.team,
        monthly_phase_cost.billing_currency,
        business_unit_definitions.metric,
        business_unit_definitions.subject,
        business_unit_definitions.quantity_unit,
        {{ to_quantity('monthly_business_metrics.metric_value / business_unit_definitions.per_units') }} as quantity,
        monthly_phase_cost.effective_cost,
        cast(null as {{ money_type() }}) as contracted_cost
    from monthly_business_metrics
    inner join business_unit_definitions
        on monthly_business_metrics.business_metric = business_unit_definitions.business_metric
    inner join monthly_phase_cost
        on
            monthly_business_metrics.charge_month = monthly_phase_cost.charge_month
            and monthly_business_metrics.team = monthly_phase_cost.team
            and business_unit_definitions.subject = monthly_phase_cost.workload_phase

),

-- A currency in which the team had none of the cost divided (no inference, or only a rounding
-- correction) says nothing about a unit of work.
business_unit_rows_with_cost as (

    select * from business_unit_rows
    where effective_cost > 0

),

unit_rows as (

    select * from billing_unit_rows
    union all
    select * from business_unit_rows_with_cost

),

per_team as (

    select
        charge_month,
        team,
        billing_currency,
        metric,
        subject,
        quantity_unit,
        sum(quantity) as quantity,
        sum(effective_cost) as effective_cost,
        sum(contracted_cost) as contracted_cost
    from unit_rows
    group by charge_month, team, billing_currency, metric, subject, quantity_unit

),

all_teams as (

    select
        charge_month,
        '{{ all_value() }}' as team,
        billing_currency,
        metric,
        subject,
        quantity_unit,
        sum(quantity) as quantity,
        sum(effective_cost) as effective_cost,
        sum(contracted_cost) as contracted_cost
    from per_team
    group by charge_month, billing_currency, metric, subject, quantity_unit

),

combined as (

    select * from per_team
    union all
    select * from all_teams

),

final as (

    select
        charge_month,
        team,
        billing_currency,
        metric,
        subject,
        quantity_unit,
        cast(quantity as {{ ratio_type() }}) as quantity,
        {{ to_money('effective_cost') }} as effective_cost,
        {{ to_money('contracted_cost') }} as contracted_cost,
        case
            when quantity > 0 then cast(effective_cost as {{ ratio_type() }}) / cast(quantity as {{ ratio_type() }})
        end as unit_cost,
        case
            when quantity > 0 then cast(contracted_cost as {{ ratio_type() }}) / cast(quantity as {{ ratio_type() }})
        end as contracted_unit_cost
    from combined

)

select * from final
