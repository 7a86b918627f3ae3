{#
  Generic test: every non-empty value of a text column, read as money as the models read it
  (trimmed, cast to money_type), is positive. For the weights of shared_cost_pool_weights: a
  weight of 0 (or one that rounds to 0 at money's 9 places) would list a team that gets nothing.
  The configuration check (orchestration/configuration/shared_cost_pools.py) refuses the same
  weights first, with their row.
#}
{% test positive_money(model, column_name) %}
select {{ column_name }} as rejected_value, count(*) as rows_with_this_value
from {{ model }}
where nullif(trim({{ column_name }}), '') is not null
    and {{ to_money("nullif(trim(" ~ column_name ~ "), '')") }} <= 0
group by {{ column_name }}
{% endtest %}
