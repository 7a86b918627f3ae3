select *
from {{ ref('fct_cost_anomalies') }}
where
    days != {{ dbt.datediff('first_day', 'last_day', 'day') }} + 1
    or last_day > data_through
    or impact_cost < {{ var('anomaly_min_impact') }} * days
