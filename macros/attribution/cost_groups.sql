{#
  Cost groups: line items that attribution and the aggregated marts cannot tell apart, summed.

  A bill has millions of line items but a few thousand distinct combinations of what attribution
  reads (its signature), times billing currency, invoice month and usage day. Attribution,
  shared-cost pools and every aggregated mart work per group; fct_cost_line_items joins each line
  item to its group on cost_group_key and takes team, phase and shares from there.
#}

{# Everything attribution and the aggregated marts read of a line item, besides money and dates. #}
{% macro attribution_signature_columns() -%}
    {{ return([
        'provider_name', 'billing_account_id', 'sub_account_id', 'sub_account_name', 'service_name',
        'charge_description', 'resource_id', 'resource_name', 'project_ancestry_numbers',
        'project_ancestors', 'resource_labels', 'project_labels', 'resource_tags',
    ]) }}
{%- endmacro %}

{# The columns that, with the signature, make a cost group. #}
{% macro cost_group_grain_columns() -%}
    {{ return(['billing_currency', 'invoice_month', 'billing_period_start', 'charge_date']) }}
{%- endmacro %}

{# The money the groups carry: what the aggregated marts report. Line items keep every column. #}
{% macro cost_group_money_columns() -%}
    {{ return(['billed_cost', 'effective_cost', 'list_cost', 'credits_total']) }}
{%- endmacro %}

{# A line item's (or a signature's) attribution key: one 64-bit fingerprint of its signature. #}
{% macro attribution_key(relation_alias=none) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {{ fingerprint(_prefixed(attribution_signature_columns(), prefix)) }}
{%- endmacro %}

{# A cost group's key: the fingerprint of its attribution key and grain. #}
{% macro cost_group_key(relation_alias=none) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {{ fingerprint(_prefixed(['attribution_key'] + cost_group_grain_columns(), prefix)) }}
{%- endmacro %}

{% macro _prefixed(columns, prefix) -%}
    {%- set prefixed = [] -%}
    {%- for column in columns -%}{%- do prefixed.append(prefix ~ column) -%}{%- endfor -%}
    {{ return(prefixed) }}
{%- endmacro %}

{# fct_cost_line_items: a view in DuckDB, a table in BigQuery (see the model's header). #}
{% macro line_items_materialization() -%}
    {{ return(adapter.dispatch('line_items_materialization')()) }}
{%- endmacro %}

{% macro default__line_items_materialization() -%}{{ return('view') }}{%- endmacro %}
{% macro bigquery__line_items_materialization() -%}{{ return('table') }}{%- endmacro %}
