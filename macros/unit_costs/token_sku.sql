{#
  Token SKUs, read from their descriptions as Google names them: "<model> Input Text Tokens",
  "<model> Output Text Tokens" (Gemini on Vertex AI). Tuning tokens ("... Supervised Tuning")
  are neither input nor output of a served request, so they are no token SKU here.
#}

{# 'input', 'output', or null when the SKU bills no served tokens. #}
{% macro token_direction(description) -%}
    case
        when {{ description }} like '% Input %Token%' then 'input'
        when {{ description }} like '% Output %Token%' then 'output'
    end
{%- endmacro %}

{# The model a token SKU bills: the description before " Input" / " Output"; null for other SKUs. #}
{% macro token_model(description) -%}
    case
        when {{ description }} like '% Input %Token%'
            then substr({{ description }}, 1, {{ dbt.position("' Input '", description) }} - 1)
        when {{ description }} like '% Output %Token%'
            then substr({{ description }}, 1, {{ dbt.position("' Output '", description) }} - 1)
    end
{%- endmacro %}
