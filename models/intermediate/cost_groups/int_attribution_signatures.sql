{#
  One row per attribution key: the values of everything attribution reads, shared by all line
  items with that key (a few thousand rows for millions of line items). The lookups resolve label
  sets, tags, ancestors and rules from here, once each. signature_values fetches them from one
  representative line item per key (macros/warehouse/signature_values.sql).
#}
with

final as (

    {{ signature_values(ref('int_cost_line_items_focus_aligned'), ref('int_cost_group_totals')) }}

)

select * from final
