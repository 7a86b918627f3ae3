{#- Config here, not in the YAML: dbt 1.11's partial parsing drops a singular test's YAML config
    (see assert_cost_group_splits_add_up). The Dagster ref makes it a check of the mart. #}
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_cost_anomalies'}}}) }}
select
    anomaly_id,
    first_day,
    last_day,
    detected_on,
    days,
    impact_cost,
    data_through
from {{ ref('fct_cost_anomalies') }}
where
    days != {{ days_between('first_day', 'last_day') }} + 1
    or last_day > data_through
    or detected_on < first_day
    or detected_on > last_day
    or impact_cost < {{ var('anomaly_min_impact') }}
