{#
  Each cost group with the signature it was grouped on: the shape of a line item that attribution
  reads (sub-account, service, resource, labels, tags, ancestry), with summed money and the
  number of line items instead of one line item's.
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
        totals.*,
        {%- for column in attribution_signature_columns() %}
        signatures.{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from totals
    inner join signatures
        on totals.attribution_key = signatures.attribution_key

)

select * from final
