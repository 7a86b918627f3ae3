{#
  The line items summed per cost group (attribution key, billing currency, invoice month, usage
  day): the one pass over every line item that attribution and the aggregated marts need. A
  few hundred thousand rows for ten million line items.
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
        count(*) as line_item_count
    from line_items
    group by attribution_key, {{ grain | join(', ') }}

),

final as (

    select
        {{ cost_group_key() }} as cost_group_key,
        *
    from totals

)

select * from final
