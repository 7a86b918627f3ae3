{#
  numerator / denominator as a share (share_type). DuckDB divides decimals in double precision;
  BigQuery divides NUMERIC at 9 places, so it divides BIGNUMERICs instead. x / x is exactly 1 on
  both, which the exact split in split_money() relies on.
#}
{% macro share_ratio(numerator, denominator) -%}
    {{ return(adapter.dispatch('share_ratio')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__share_ratio(numerator, denominator) -%}
    cast(({{ numerator }}) / ({{ denominator }}) as {{ share_type() }})
{%- endmacro %}

{% macro bigquery__share_ratio(numerator, denominator) -%}
    (cast({{ numerator }} as bignumeric) / cast({{ denominator }} as bignumeric))
{%- endmacro %}
