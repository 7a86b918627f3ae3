{#
  Generic test: every non-null value is one of `values`, or one of `prefixes` followed by at
  least one character (e.g. `rule:` accepts `rule:ai-sandbox-owner`). accepted_values cannot
  take patterns, and methods such as `rule:<rule_id>` or `shared:<pool_id>` are open-ended.
  Declared as `- accepted_values_or_prefixes: {arguments: {values: [...], prefixes: [...]}}`.
#}
{% test accepted_values_or_prefixes(model, column_name, values=[], prefixes=[]) %}
select {{ column_name }} as rejected_value, count(*) as rows_with_this_value
from {{ model }}
where {{ column_name }} is not null
    and not (
        false
        {%- for value in values %}
        or {{ column_name }} = '{{ value }}'
        {%- endfor %}
        {%- for prefix in prefixes %}
        or (substr({{ column_name }}, 1, {{ prefix | length }}) = '{{ prefix }}' and length({{ column_name }}) > {{ prefix | length }})
        {%- endfor %}
    )
group by {{ column_name }}
{% endtest %}
