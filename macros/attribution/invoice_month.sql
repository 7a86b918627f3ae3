{#
  The invoice month: GCP writes `invoice.month` as YYYYMM (Pacific time); every model and test
  reads it as YYYY-MM, FOCUS-style, and its first day as BillingPeriodStart.
#}
{% macro invoice_month(yyyymm) -%}
    concat(substr({{ yyyymm }}, 1, 4), '-', substr({{ yyyymm }}, 5, 2))
{%- endmacro %}

{# The first day of an invoice month given as YYYY-MM: FOCUS BillingPeriodStart. #}
{% macro billing_period_start(invoice_month) -%}
    cast(concat({{ invoice_month }}, '-01') as date)
{%- endmacro %}
