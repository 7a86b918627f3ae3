{#
  Each cost group (int_cost_group_totals) with the signature it was grouped on
  (int_attribution_signatures): the shape of a line item as attribution reads it - sub-account,
  service, resource, labels, tags, ancestry - with summed money and a line item count.
#}
with

totals as (

    select * from {{ ref('int_cost_group_totals') }}

),

signatures as (

    select * from {{ ref('int_attribution_signatures') }}

),

final as (

    select
        totals.cost_group_key,
        totals.attribution_key,
        {%- for column in cost_group_grain_columns() %}
        totals.{{ column }},
        {%- endfor %}
        totals.billing_period_start,
        {%- for column in attribution_signature_columns() %}
        signatures.{{ column }},
        {%- endfor %}
        {%- for column in cost_group_money_columns() %}
        totals.{{ column }},
        {%- endfor %}
        totals.line_item_count
    from totals
    inner join signatures
        on totals.attribution_key = signatures.attribution_key

)

select * from final
