{#
  The accelerator an hourly SKU bills, read from its description (the export has no accelerator
  field): 'H100', 'A100', 'L4', 'T4', 'TPU', ...; null for anything else (cores, RAM, storage).
  Google names accelerators the same way across Compute Engine, Vertex AI training, prediction
  and Workbench ("Nvidia H100 80GB GPU running in Americas", "Vertex AI: Online Prediction on
  Nvidia L4 GPU ..."), so the pattern list lives here, once. Newer or rarer chips go first so
  that "H100 Mega" or "A100 80GB" never fall through to a shorter name; a chip that is not
  listed stays null rather than guessed.
#}
{% macro accelerator_type(description) -%}
    case
        when upper({{ description }}) like '%TPU%' then 'TPU'
        when upper({{ description }}) like '%B200%' then 'B200'
        when upper({{ description }}) like '%H200%' then 'H200'
        when upper({{ description }}) like '%H100%' then 'H100'
        when upper({{ description }}) like '%A100%' then 'A100'
        when upper({{ description }}) like '%V100%' then 'V100'
        when upper({{ description }}) like '%P100%' then 'P100'
        when upper({{ description }}) like '% L4 GPU%' then 'L4'
        when upper({{ description }}) like '% T4 GPU%' then 'T4'
        when upper({{ description }}) like '% P4 GPU%' then 'P4'
        -- ' GPU': machine names such as "a2-highgpu Instance Core" bill cores, not a GPU
        when upper({{ description }}) like '% GPU%' then 'other GPU'
    end
{%- endmacro %}
