{#
  One recipient's part of a money amount split by a shared-cost pool, exact to the money scale.

  Recipients are put in a fixed order (largest share first, ties by team) and each gets
      round(amount × cumulative share through it, 9) − round(amount × cumulative share before it, 9).
  Each part is within 10^-9 of amount × share, and the parts telescope: they add up to
  round(amount × 1, 9) − round(amount × 0, 9) = amount, to the last decimal, for any sign. The
  rounding remainder thus lands deterministically, and no window over the split rows is needed.
#}
{% macro split_money(amount, share_before, share_through) -%}
    ({{ to_money('round((' ~ amount ~ ') * (' ~ share_through ~ '), 9)') }} - {{ to_money('round((' ~ amount ~ ') * (' ~ share_before ~ '), 9)') }})
{%- endmacro %}

{#
  A money column after shared-cost pools: unchanged where the row was not split (null shares),
  else the recipient's exact part (split_money). One rule for the cost groups
  (int_cost_groups_allocated) and for their line items (fct_cost_line_items).
#}
{% macro split_money_if_shared(amount, share_before, share_through) -%}
    case
            when {{ share_before }} is null then {{ amount }}
            else {{ split_money(amount, share_before, share_through) }}
        end
{%- endmacro %}
