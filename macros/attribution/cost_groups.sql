{#
  Cost groups: line items that attribution and the aggregated marts cannot tell apart, summed.

  A bill has millions of line items but a few thousand distinct combinations of what attribution
  reads (its signature), times billing currency, invoice month and usage day. Attribution,
  shared-cost pools and every aggregated mart work per group; fct_cost_line_items joins each line
  item to its group on cost_group_key and takes team, phase and shares from there.
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

{% macro attribution_signature_columns() -%}
    {{ return(attribution_key_columns() + ['project_ancestors']) }}
{%- endmacro %}

{# The columns that, with the attribution key, make a cost group (billing_period_start follows from invoice_month). #}
{% macro cost_group_grain_columns() -%}
    {{ return(['billing_currency', 'invoice_month', 'charge_date']) }}
{%- endmacro %}

{# The first day of an invoice month given as YYYY-MM: FOCUS BillingPeriodStart. #}
{% macro billing_period_start(invoice_month) -%}
    cast(concat({{ invoice_month }}, '-01') as date)
{%- endmacro %}

{# The money the groups carry: what the aggregated marts report. Line items keep every column. #}
{% macro cost_group_money_columns() -%}
    {{ return(['billed_cost', 'effective_cost', 'list_cost', 'credits_total']) }}
{%- endmacro %}

{# A line item's (or a signature's) attribution key: one 64-bit fingerprint of its signature. #}
{% macro attribution_key(relation_alias=none) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {{ fingerprint(_prefixed(attribution_key_columns(), prefix)) }}
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

{#
  The signature values (attribution_signature_columns) of every attribution key of `totals`
  (int_cost_group_totals), taken from the line items of `line_items`.

  DuckDB: from one representative line item per key, fetched by its row id (representative_row_id,
  kept by the totals pass): the semi-join's filter reaches the scan, so only those rows are read
  instead of every line item again. Row ids hold while the export table is unchanged, and nothing
  writes it during a build (DuckDB lets one process write the file); should one still have moved,
  the key is recomputed on the fetched row and must match, so a wrong row is never taken, and the
  key goes missing instead - which the relationships test on int_cost_group_totals reports.
  BigQuery has no row id: any value per key, one pass.
#}
{% macro signature_values(line_items, totals) -%}
    {{ return(adapter.dispatch('signature_values')(line_items, totals)) }}
{%- endmacro %}

{% macro default__signature_values(line_items, totals) -%}
    {#- The `in` filter on row ids alone reaches the scan; a join on (row id, key) would compute the
        key of every line item first. -#}
    select
        line_items.attribution_key,
        {%- for column in attribution_signature_columns() %}
        line_items.{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from (
        select *
        from {{ line_items }}
        where source_row_id in (
            select min(representative_row_id) from {{ totals }} group by attribution_key
        )
    ) as line_items
    inner join (
        select attribution_key, min(representative_row_id) as representative_row_id
        from {{ totals }}
        group by attribution_key
    ) as representatives
        on line_items.source_row_id = representatives.representative_row_id
        and line_items.attribution_key = representatives.attribution_key
{%- endmacro %}

{% macro bigquery__signature_values(line_items, totals) -%}
    select
        attribution_key,
        {%- for column in attribution_signature_columns() %}
        any_value({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ line_items }}
    group by attribution_key
{%- endmacro %}

{#
  A number that locates an export row: DuckDB's rowid, stable while the table is unchanged (see
  signature_values). BigQuery has none: null.
#}
{% macro source_row_id() -%}
    {{ return(adapter.dispatch('source_row_id')()) }}
{%- endmacro %}

{% macro default__source_row_id() -%}rowid{%- endmacro %}
{% macro bigquery__source_row_id() -%}cast(null as int64){%- endmacro %}
