{#
  Generic test: money is conserved between the GCP billing export and `model` (PRODUCT.md,
  invariant 1). Per billing account, invoice month and currency, Σ(cost + credits) over every
  export row equals Σ `money_column` over the model's rows, within var('conservation_tolerance');
  a group found on one side only fails too. Returns the groups that disagree.

  The export is read directly, not through staging, so a staging model that loses rows cannot
  hide it. Limit the model's rows to the export's with the test's `where` config (dbt's own).
  Applied to int_cost_groups (severity error: the marts are not rebuilt when it fails), to
  fct_cost_line_items and to fct_chargeback_monthly.
#}
{% test conserves_gcp_export_money(model, money_column='billed_cost', currency_column='billing_currency') %}

with

source_totals as (

    select
        billing_account_id,
        {{ invoice_month('invoice.month') }} as invoice_month,
        currency,
        sum({{ to_money('cost') }} + {{ sum_credits('credits') }}) as source_cost
    from {{ source('gcp_billing_export', 'detailed_usage_cost') }}
    group by 1, 2, 3

),

model_totals as (

    select
        billing_account_id,
        invoice_month,
        {{ currency_column }} as currency,
        sum({{ money_column }}) as model_cost
    from {{ model }}
    group by 1, 2, 3

),

compared as (

    select
        coalesce(source_totals.billing_account_id, model_totals.billing_account_id) as billing_account_id,
        coalesce(source_totals.invoice_month, model_totals.invoice_month) as invoice_month,
        coalesce(source_totals.currency, model_totals.currency) as currency,
        source_totals.source_cost,
        model_totals.model_cost,
        model_totals.model_cost - source_totals.source_cost as difference
    from source_totals
    full outer join model_totals
        on source_totals.billing_account_id = model_totals.billing_account_id
        and source_totals.invoice_month = model_totals.invoice_month
        and source_totals.currency = model_totals.currency

)

select *
from compared
where source_cost is null
    or model_cost is null
    or abs(difference) > {{ var('conservation_tolerance') }}

{% endtest %}
