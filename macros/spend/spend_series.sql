{#
  The series that spend is watched on: team x workload phase x provider x billing currency, with
  `all` standing for every phase or every provider, so that a budget on a team's whole spend has
  its own history and forecast (a forecast of a sum is not the sum of the parts' intervals).
  Each entry: the phase and provider columns of one grouping, as expressions.
#}
{% macro spend_series_groupings() -%}
    {{ return([
        {'workload_phase': 'workload_phase', 'provider_name': 'provider_name'},
        {'workload_phase': "'" ~ all_value() ~ "'", 'provider_name': 'provider_name'},
        {'workload_phase': 'workload_phase', 'provider_name': "'" ~ all_value() ~ "'"},
        {'workload_phase': "'" ~ all_value() ~ "'", 'provider_name': "'" ~ all_value() ~ "'"},
    ]) }}
{%- endmacro %}

{# What a budget or series means by "every phase" or "every provider". #}
{% macro all_value() -%}{{ return('all') }}{%- endmacro %}

{# The columns that name a spend series. #}
{% macro spend_series_columns() -%}
    {{ return(['team', 'workload_phase', 'provider_name', 'billing_currency']) }}
{%- endmacro %}
