{#
  Generic test: every row of the model satisfies a SQL condition (a row invariant, such as an
  interval holding its point: low <= point <= high). Returns the rows that do not.
#}
{% test rows_satisfy(model, condition) %}
select * from {{ model }}
where not ({{ condition }})
{% endtest %}
