{#
  The money columns, listed once. Python tests read these lists by rendering this file
  (tests/python/sql_harness.py), so they never keep a copy.
#}

{# Every money column of a line item: each is split by shared-cost pools, so each split adds back to its source row. #}
{% macro line_item_money_columns() -%}
    {{ return(['billed_cost', 'effective_cost', 'list_cost', 'contracted_cost', 'credits_total',
               'credits_committed_use', 'credits_sustained_use', 'credits_promotion', 'credits_discount',
               'credits_other']) }}
{%- endmacro %}

{#
  The money the cost groups carry: what the aggregated marts report, a choice made here. Taken
  from the line items' list, in its order, so it can only name line item money; the other columns
  stay on the line items (fct_cost_line_items), where summing them per group would cost a pass
  over every line item and buy nothing a mart shows.
#}
{% macro cost_group_money_columns() -%}
    {{ return(line_item_money_columns() | select('in', ['billed_cost', 'effective_cost', 'list_cost', 'credits_total']) | list) }}
{%- endmacro %}
