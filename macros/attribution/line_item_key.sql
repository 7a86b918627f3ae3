{#
  The text a line item's id is hashed from: the identifying fields of an export row joined
  with '|', a null field written as ''. The generator computes the same text in Python
  (orchestration.generate.gcp.line_item_key_string) so its ground truth joins on the id;
  tests/python/test_line_item_key_parity.py runs both on the same hostile rows.
#}
{% macro line_item_key(expressions) -%}
    concat(
    {%- for expression in expressions %}
        coalesce(cast({{ expression }} as {{ dbt.type_string() }}), ''){% if not loop.last %}, '|',{% endif %}
    {%- endfor %}
    )
{%- endmacro %}
