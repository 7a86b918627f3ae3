{#
  Cost anomalies: runs of consecutive anomalous usage days of one series (team x workload phase
  x service, or one of the largest resources; int_anomaly_daily_scores decides each day), with
  what they cost beyond the baseline, their status against the newest data, and what drove them:
  the SKUs, resources, projects and resource labels whose cost over the anomaly's days grew most
  against their daily average of the 28 days before.
#}
{%- set anomaly_key = "concat(anomalies.series_key, '|', cast(anomalies.first_day as " ~ dbt.type_string() ~ "))" %}
with

scores as (

    select * from {{ ref('int_anomaly_daily_scores') }}

),

cost_groups as (

    select * from {{ ref('int_cost_groups_allocated') }}

),

tag_key_aliases as (

    select * from {{ ref('tag_key_aliases') }}

),

anomalous_days as (

    select
        *,
        -- consecutive days share this number (gaps and islands)
        {{ days_between("cast('2000-01-01' as date)", 'charge_date') }}
        - row_number() over (partition by series_key order by charge_date) as run_number
    from scores
    where is_anomalous

),

run_days as (

    select
        *,
        sum(effective_cost - expected_cost) over (
            partition by series_key, run_number order by charge_date
            rows between unbounded preceding and current row
        ) as impact_so_far
    from anomalous_days

),

runs as (

    select
        series_key,
        billing_currency,
        team,
        workload_phase,
        service_name,
        resource_id,
        min(charge_date) as first_day,
        max(charge_date) as last_day,
        count(*) as days,
        -- the usage day whose data made the run's impact reach the minimum: when it is reported
        min(case when impact_so_far >= {{ var('anomaly_min_impact') }} then charge_date end) as detected_on,
        sum(expected_cost) as expected_cost,
        sum(effective_cost) as actual_cost,
        sum(effective_cost - expected_cost) as impact,
        max(data_through) as data_through
    from run_days
    group by
        series_key, run_number, billing_currency, team, workload_phase, service_name, resource_id
    -- intermittent usage reaches its usual peaks: a run must break the series' 28-day high
    having
        max(case when breaks_recent_high then 1 else 0 end) = 1
        and sum(effective_cost - expected_cost) >= {{ var('anomaly_min_impact') }}

),

{# A service's anomaly that its resource's anomalies explain (half its impact or more, on
    overlapping days) is the same event: the resource's, more precise, is kept. #}
explained_by_resources as (

    select
        service_runs.series_key,
        service_runs.first_day
    from runs as service_runs
    inner join runs as resource_runs
        on
            service_runs.resource_id is null
            and resource_runs.resource_id is not null
            and service_runs.billing_currency = resource_runs.billing_currency
            and service_runs.team = resource_runs.team
            and service_runs.workload_phase = resource_runs.workload_phase
            and service_runs.service_name = resource_runs.service_name
            and service_runs.last_day >= resource_runs.first_day
            and service_runs.first_day <= resource_runs.last_day
    group by service_runs.series_key, service_runs.first_day
    having sum(resource_runs.impact) >= 0.5 * max(service_runs.impact)

),

anomalies as (

    select runs.*
    from runs
    left join explained_by_resources
        on
            runs.series_key = explained_by_resources.series_key
            and runs.first_day = explained_by_resources.first_day
    where explained_by_resources.series_key is null

),

{# Cost of the anomaly's lines per driver value: over its days, and over the 28 days before. #}
driver_costs as (

    select
        anomalies.series_key,
        anomalies.first_day,
        anomalies.days,
        cost_groups.charge_date >= anomalies.first_day as in_anomaly,
        cost_groups.charge_description,
        cost_groups.resource_id,
        cost_groups.sub_account_id,
        cost_groups.tags,
        cost_groups.effective_cost
    from anomalies
    inner join cost_groups
        on
            anomalies.billing_currency = cost_groups.billing_currency
            and anomalies.team = cost_groups.team
            and anomalies.workload_phase = cost_groups.workload_phase
            and anomalies.service_name = cost_groups.service_name
            and (anomalies.resource_id is null or anomalies.resource_id = cost_groups.resource_id)
            and anomalies.last_day >= cost_groups.charge_date
            and {{ days_between('cost_groups.charge_date', 'anomalies.first_day') }} <= 28

),

{# The team and phase labels name the series itself: they explain nothing about its change. #}
attribution_label_keys as (

    select distinct {{ normalize_tag_key('alias') }} as label_key
    from tag_key_aliases

),

{% set driver_kinds = [
    ('sku', 'charge_description'),
    ('resource', 'resource_id'),
    ('project', 'sub_account_id'),
] %}

driver_values as (
    {%- for kind, column in driver_kinds %}
    select
        series_key,
        first_day,
        days,
        in_anomaly,
        '{{ kind }}' as driver_kind,
        {{ column }} as driver_value,
        effective_cost
    from driver_costs
    where {{ column }} is not null
    union all
    {%- endfor %}
    select
        driver_costs.series_key,
        driver_costs.first_day,
        driver_costs.days,
        driver_costs.in_anomaly,
        'label' as driver_kind,
        concat(resource_label.tag_key, '=', resource_label.tag_value) as driver_value,
        driver_costs.effective_cost
    from driver_costs
    {{ join_tag_entries('driver_costs.tags', 'resource_label') }}
    -- GKE's pod labels (k8s-label/team) are read as team labels too
    left join attribution_label_keys
        on
            replace({{ normalize_tag_key('resource_label.tag_key') }}, 'k8s_label/', '')
            = attribution_label_keys.label_key
    where attribution_label_keys.label_key is null and trim(resource_label.tag_value) <> ''

),

driver_changes as (

    select
        series_key,
        first_day,
        driver_kind,
        driver_value,
        -- money (DuckDB would divide in double, BigQuery in NUMERIC): the same order on both
        cast(
            sum(case when in_anomaly then effective_cost else 0 end)
            - sum(case when in_anomaly then 0 else effective_cost end) * max(days) / 28
            as {{ money_type() }}
        ) as change_cost
    from driver_values
    group by series_key, first_day, driver_kind, driver_value

),

top_drivers as (

    select
        series_key,
        first_day,
        driver_kind,
        driver_value,
        change_cost,
        row_number() over (
            partition by series_key, first_day, driver_kind order by change_cost desc, driver_value asc
        ) as driver_rank
    from driver_changes
    where change_cost > 0

),

drivers as (

    select
        series_key,
        first_day,
        string_agg(
            concat(
                driver_kind, ' ', driver_value, ' +',
                {{ fixed_places('cast(change_cost as ' ~ ratio_type() ~ ')', 2) }}
            ),
            '; ' order by change_cost desc, driver_kind asc, driver_value asc
        ) as drivers
    from top_drivers
    where driver_rank <= 3
    group by series_key, first_day

),

final as (

    select
        {{ dbt.hash(anomaly_key) }} as anomaly_id,
        anomalies.billing_currency,
        anomalies.team,
        anomalies.workload_phase,
        anomalies.service_name,
        anomalies.resource_id,
        anomalies.first_day,
        anomalies.last_day,
        cast(anomalies.days as {{ dbt.type_bigint() }}) as days,
        anomalies.detected_on,
        {{ to_money('anomalies.expected_cost') }} as expected_cost,
        {{ to_money('anomalies.actual_cost') }} as actual_cost,
        {{ to_money('anomalies.actual_cost') }} - {{ to_money('anomalies.expected_cost') }} as impact_cost,
        case
            -- a settled day after the last anomalous one was normal again
            when
                {{ days_between('anomalies.last_day', 'anomalies.data_through') }}
                > {{ var('export_settle_days') }}
                then 'resolved'
            when
                {{ days_between('anomalies.first_day', 'anomalies.data_through') }}
                <= {{ var('export_settle_days') }} + 1
                then 'new'
            else 'ongoing'
        end as status,
        drivers.drivers,
        anomalies.data_through
    from anomalies
    left join drivers
        on
            anomalies.series_key = drivers.series_key
            and anomalies.first_day = drivers.first_day

)

select * from final
