{#
  The line items summed per cost group - attribution key, billing currency, invoice month, usage
  day: the one pass over every line item that attribution and the aggregated marts need. A few
  hundred thousand rows for ten million line items.

  representative_row_id locates one line item of the group (macros/warehouse/source_row_id.sql),
  so int_attribution_signatures can fetch each key's signature values without reading every line
  item again.
#}
{%- set grain = cost_group_grain_columns() -%}
with

line_items as (

    select * from {{ ref('int_cost_line_items_focus_aligned') }}

),

totals as (

    select
        attribution_key,
        {%- for column in grain %}
        {{ column }},
        {%- endfor %}
        {%- for column in cost_group_money_columns() %}
        sum({{ column }}) as {{ column }},
        {%- endfor %}
        count(*) as line_item_count,
        min(source_row_id) as representative_row_id
    from line_items
    group by attribution_key, {{ grain | join(', ') }}

),

final as (

    select
        {{ cost_group_key() }} as cost_group_key,
        attribution_key,
        {%- for column in grain %}
        {{ column }},
        {%- endfor %}
        {{ billing_period_start('invoice_month') }} as billing_period_start,
        {%- for column in cost_group_money_columns() %}
        {{ column }},
        {%- endfor %}
        line_item_count,
        representative_row_id
    from totals

)

select * from final
