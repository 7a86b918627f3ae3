{#
  Fixture rows as a query: one `select` per row, `union all`, each column a typed_literal of its
  type spec (`columns`: column name to spec, in order). A column missing from a row is a typed
  null, as in dbt's dict fixtures, so a fixture names only what its test is about.
#}
{% macro typed_rows(rows, columns) -%}
    {%- for row in rows %}
    {{ 'union all ' if not loop.first }}select
        {%- for column, type_spec in columns.items() %}
        {{ typed_literal(row.get(column), type_spec) }} as {{ adapter.quote(column) }}{{ ',' if not loop.last }}
        {%- endfor %}
    {%- endfor %}
{%- endmacro %}
