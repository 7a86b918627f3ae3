{#
  The text that names an anomaly series (hashed into series_key, and with the first day into
  anomaly_id): currency, team, phase, service and resource, null-safe.
#}
{% macro anomaly_series_text(prefix='') -%}
    concat(
        coalesce({{ prefix }}billing_currency, ''), '|',
        coalesce({{ prefix }}team, ''), '|',
        coalesce({{ prefix }}workload_phase, ''), '|',
        coalesce({{ prefix }}service_name, ''), '|',
        coalesce({{ prefix }}resource_id, '')
    )
{%- endmacro %}
