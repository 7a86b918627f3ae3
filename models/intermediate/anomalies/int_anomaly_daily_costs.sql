{#
  Daily effective cost of every anomaly series: team x workload phase x service (resource_id
  null), and the same per resource for the largest spenders of the last 28 days (var
  anomaly_top_resources per billing currency). Dense: a series has a row for every usage day of
  the data from its first one on, 0 where it had no cost, so a day without cost is a value too.
#}
with

cost_groups as (

    select * from {{ ref('int_cost_groups_allocated') }}

),

usage_days as (

    select distinct charge_date from cost_groups

),

newest as (

    select max(charge_date) as data_through from cost_groups

),

resource_recent_costs as (

    select
        cost_groups.billing_currency,
        cost_groups.resource_id,
        sum(cost_groups.effective_cost) as recent_cost
    from cost_groups
    cross join newest
    where
        cost_groups.resource_id is not null
        and {{ days_between('cost_groups.charge_date', 'newest.data_through') }} < 28
    group by cost_groups.billing_currency, cost_groups.resource_id

),

top_resources as (

    select
        billing_currency,
        resource_id
    from (
        select
            billing_currency,
            resource_id,
            row_number() over (
                partition by billing_currency order by recent_cost desc, resource_id asc
            ) as cost_rank
        from resource_recent_costs
    ) as ranked
    where cost_rank <= {{ var('anomaly_top_resources') }}

),

service_days as (

    select
        billing_currency,
        team,
        workload_phase,
        service_name,
        cast(null as {{ dbt.type_string() }}) as resource_id,
        charge_date,
        sum(effective_cost) as effective_cost
    from cost_groups
    group by billing_currency, team, workload_phase, service_name, charge_date

),

resource_days as (

    select
        cost_groups.billing_currency,
        cost_groups.team,
        cost_groups.workload_phase,
        cost_groups.service_name,
        cost_groups.resource_id,
        cost_groups.charge_date,
        sum(cost_groups.effective_cost) as effective_cost
    from cost_groups
    inner join top_resources
        on
            cost_groups.billing_currency = top_resources.billing_currency
            and cost_groups.resource_id = top_resources.resource_id
    group by
        cost_groups.billing_currency,
        cost_groups.team,
        cost_groups.workload_phase,
        cost_groups.service_name,
        cost_groups.resource_id,
        cost_groups.charge_date

),

series_days as (

    select
        {{ dbt.hash(anomaly_series_text()) }} as series_key,
        billing_currency,
        team,
        workload_phase,
        service_name,
        resource_id,
        charge_date,
        effective_cost
    from (
        select * from service_days
        union all
        select * from resource_days
    ) as unioned

),

series as (

    select
        series_key,
        billing_currency,
        team,
        workload_phase,
        service_name,
        resource_id,
        min(charge_date) as first_charge_date
    from series_days
    group by series_key, billing_currency, team, workload_phase, service_name, resource_id

),

final as (

    select
        series.series_key,
        series.billing_currency,
        series.team,
        series.workload_phase,
        series.service_name,
        series.resource_id,
        usage_days.charge_date,
        coalesce(series_days.effective_cost, 0) as effective_cost,
        newest.data_through
    from series
    inner join usage_days
        on series.first_charge_date <= usage_days.charge_date
    cross join newest
    left join series_days
        on
            series.series_key = series_days.series_key
            and usage_days.charge_date = series_days.charge_date

)

select * from final
