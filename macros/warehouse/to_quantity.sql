{#
  A usage quantity made exact before it is summed: the 9-place decimal of money_type. A float sum
  depends on the order the warehouse adds its rows in, so DuckDB and BigQuery would disagree in
  the last digits; a decimal sum does not. Nine places keep a thousandth of a token in millions
  of tokens and 3.6 microseconds of an hour.
#}
{% macro to_quantity(expression) -%}
    cast({{ expression }} as {{ money_type() }})
{%- endmacro %}
