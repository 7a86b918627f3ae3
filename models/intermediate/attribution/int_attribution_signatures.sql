{#
  One row per attribution key: the values of everything attribution reads, shared by all line
  items with that key (a few thousand rows for millions of line items). The lookups resolve label
  sets, tags, ancestors and rules from here, once each.
#}
with

line_items as (

    select * from {{ ref('int_cost_line_items_focus_aligned') }}

),

final as (

    -- Every column is part of the key, so any value of a group is its value.
    select
        attribution_key,
        {%- for column in attribution_signature_columns() %}
        any_value({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from line_items
    group by attribution_key

)

select * from final
