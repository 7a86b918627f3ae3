{# A UTC timestamp as microseconds since the epoch, as text: part of the stable line item key. #}
{% macro timestamp_micros_text(expression) -%}
    {{ return(adapter.dispatch('timestamp_micros_text')(expression)) }}
{%- endmacro %}

{% macro default__timestamp_micros_text(expression) -%}cast(epoch_us({{ expression }}) as varchar){%- endmacro %}
{% macro bigquery__timestamp_micros_text(expression) -%}cast(unix_micros({{ expression }}) as string){%- endmacro %}
