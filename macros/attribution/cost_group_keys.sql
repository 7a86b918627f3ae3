{#
  Cost groups: line items that attribution and the aggregated marts cannot tell apart, summed.

  A bill has millions of line items but a few thousand distinct combinations of what attribution
  reads (its signature), times billing currency, invoice month and usage day. Attribution,
  shared-cost pools and every aggregated mart work per group; fct_cost_line_items joins each line
  item to its group on cost_group_key and takes team, phase and shares from there. This file holds
  what makes a group and its keys; macros/warehouse/signature_values.sql where the warehouses
  differ.
#}

{#
  Everything attribution and the aggregated marts read of a line item, besides money and dates:
  the attribution key fingerprints these. project_ancestors is not fingerprinted (hashing its
  records costs more than the rest together): the ancestors' resource names, all attribution
  reads of it, follow from project_ancestry_numbers, which is.
#}
{% macro attribution_key_columns() -%}
    {{ return([
        'provider_name', 'billing_account_id', 'sub_account_id', 'sub_account_name', 'service_name',
        'charge_description', 'resource_id', 'resource_name', 'project_ancestry_numbers',
        'resource_labels', 'project_labels', 'resource_tags',
    ]) }}
{%- endmacro %}

{# The attribution key's columns and project_ancestors: what int_attribution_signatures holds per key. #}
{% macro attribution_signature_columns() -%}
    {{ return(attribution_key_columns() + ['project_ancestors']) }}
{%- endmacro %}

{# The columns that, with the attribution key, make a cost group (billing_period_start follows from invoice_month). #}
{% macro cost_group_grain_columns() -%}
    {{ return(['billing_currency', 'invoice_month', 'charge_date']) }}
{%- endmacro %}

{# A line item's attribution key: one 64-bit fingerprint of its signature. #}
{% macro attribution_key() -%}
    {{ fingerprint(attribution_key_columns()) }}
{%- endmacro %}

{# A cost group's key: the fingerprint of its attribution key and grain. #}
{% macro cost_group_key(relation_alias=none) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {{ fingerprint(_prefixed(['attribution_key'] + cost_group_grain_columns(), prefix)) }}
{%- endmacro %}

{# `columns` with `prefix` before each name. #}
{% macro _prefixed(columns, prefix) -%}
    {%- set prefixed = [] -%}
    {%- for column in columns -%}{%- do prefixed.append(prefix ~ column) -%}{%- endfor -%}
    {{ return(prefixed) }}
{%- endmacro %}
