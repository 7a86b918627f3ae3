{#
  Money is exact: DECIMAL(38,9) in DuckDB, NUMERIC (38 digits, 9 after the point) in BigQuery.
  Floats from the export are converted once, in staging, and never summed as floats.
#}
{% macro money_type() -%}
    {{ return(adapter.dispatch('money_type')()) }}
{%- endmacro %}

{% macro default__money_type() -%}decimal(38,9){%- endmacro %}
{% macro bigquery__money_type() -%}numeric{%- endmacro %}

{% macro to_money(expression) -%}
    cast({{ expression }} as {{ money_type() }})
{%- endmacro %}

{# Decimal text with exactly nine places, rounded from the binary value the way printf does. #}
{% macro fixed9(expression) -%}
    {{ return(adapter.dispatch('fixed9')(expression)) }}
{%- endmacro %}

{% macro default__fixed9(expression) -%}printf('%.9f', {{ expression }}){%- endmacro %}
{% macro bigquery__fixed9(expression) -%}format('%.9f', {{ expression }}){%- endmacro %}

{# A UTC timestamp as microseconds since the epoch, as text: part of the stable line item key. #}
{% macro timestamp_micros_text(expression) -%}
    {{ return(adapter.dispatch('timestamp_micros_text')(expression)) }}
{%- endmacro %}

{% macro default__timestamp_micros_text(expression) -%}cast(epoch_us({{ expression }}) as varchar){%- endmacro %}
{% macro bigquery__timestamp_micros_text(expression) -%}cast(unix_micros({{ expression }}) as string){%- endmacro %}

{# `select *` without some columns: DuckDB says EXCLUDE, BigQuery says EXCEPT. #}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except')(columns)) }}
{%- endmacro %}

{% macro default__star_except(columns) -%}* exclude ({{ columns | join(', ') }}){%- endmacro %}
{% macro bigquery__star_except(columns) -%}* except ({{ columns | join(', ') }}){%- endmacro %}

{# Shares and ratios: 64-bit floats on both warehouses (DuckDB's FLOAT is only 32-bit). #}
{% macro ratio_type() -%}
    {{ return(adapter.dispatch('ratio_type')()) }}
{%- endmacro %}

{% macro default__ratio_type() -%}double{%- endmacro %}
{% macro bigquery__ratio_type() -%}float64{%- endmacro %}

