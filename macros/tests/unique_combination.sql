{#
  Generic test: no two rows share the same values of `columns` (nulls compare equal).
  Declared in YAML as `- unique_combination: {columns: [a, b]}` on the model.
#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as rows_with_this_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
