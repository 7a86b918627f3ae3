{#
  The money invariant: per billing account, invoice month and currency,
  Σ(cost + credits) in the raw GCP export = Σ billed_cost in fct_cost_line_items
  = Σ billed_cost in fct_chargeback_monthly, within var('conservation_tolerance').
  Returns the groups that disagree (or exist on one side only).
#}
{#- Config here, not in the YAML: dbt 1.11's partial parsing drops a singular test's YAML config
    when a file it depends on changes, and with it the Dagster `ref`. In Dagster, the check
    belongs to the chargeback every team is billed from. #}
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_chargeback_monthly'}}}) }}
with

source_totals as (

    select
        billing_account_id,
        concat(substr(invoice.month, 1, 4), '-', substr(invoice.month, 5, 2)) as invoice_month,
        currency,
        sum({{ to_money('cost') }} + {{ sum_credits('credits') }}) as source_cost
    from {{ source('gcp_billing_export', 'detailed_usage_cost') }}
    group by 1, 2, 3

),

line_item_totals as (

    select billing_account_id, invoice_month, billing_currency as currency, sum(billed_cost) as line_item_cost
    from {{ ref('fct_cost_line_items') }}
    where source_system = 'gcp_billing_export'
    group by 1, 2, 3

),

monthly_totals as (

    select billing_account_id, invoice_month, billing_currency as currency, sum(billed_cost) as monthly_cost
    from {{ ref('fct_chargeback_monthly') }}
    where provider_name = 'Google Cloud'
    group by 1, 2, 3

),

compared as (

    select
        coalesce(source_totals.billing_account_id, line_item_totals.billing_account_id, monthly_totals.billing_account_id) as billing_account_id,
        coalesce(source_totals.invoice_month, line_item_totals.invoice_month, monthly_totals.invoice_month) as invoice_month,
        coalesce(source_totals.currency, line_item_totals.currency, monthly_totals.currency) as currency,
        source_totals.source_cost,
        line_item_totals.line_item_cost,
        monthly_totals.monthly_cost
    from source_totals
    full outer join line_item_totals
        on source_totals.billing_account_id = line_item_totals.billing_account_id
        and source_totals.invoice_month = line_item_totals.invoice_month
        and source_totals.currency = line_item_totals.currency
    full outer join monthly_totals
        on coalesce(source_totals.billing_account_id, line_item_totals.billing_account_id) = monthly_totals.billing_account_id
        and coalesce(source_totals.invoice_month, line_item_totals.invoice_month) = monthly_totals.invoice_month
        and coalesce(source_totals.currency, line_item_totals.currency) = monthly_totals.currency

)

select *
from compared
where source_cost is null
    or line_item_cost is null
    or monthly_cost is null
    or abs(source_cost - line_item_cost) > {{ var('conservation_tolerance') }}
    or abs(source_cost - monthly_cost) > {{ var('conservation_tolerance') }}
