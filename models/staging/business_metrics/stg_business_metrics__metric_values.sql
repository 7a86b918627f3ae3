{#
  The business's unit metrics as the newest delivery of each file gave them: a file delivered
  again replaces what it delivered before (its earlier rows stay in the raw table, unread), and a
  refused delivery replaces nothing. Metric files are optional: until the ingestion asset has
  created the raw tables this reads no rows. Offline compilation (no introspection) compiles the
  reading branch, so that SQL is checked too.
#}
{%- set metric_values = source('business_metrics', 'metric_values') -%}
{%- set deliveries = source('business_metrics', 'deliveries') -%}
{%- set raw_tables_exist = true -%}
{%- if execute and flags.INTROSPECT -%}
{%- set raw_tables_exist = load_relation(metric_values) is not none and load_relation(deliveries) is not none -%}
{%- endif %}
{%- if raw_tables_exist %}
with

metric_values as (

    select * from {{ metric_values }}

),

deliveries as (

    select * from {{ deliveries }}

),

newest_deliveries as (

    select
        source_file,
        max(delivered_at) as delivered_at
    from deliveries
    where status = 'loaded'
    group by source_file

),

current_deliveries as (

    select deliveries.delivery_id
    from deliveries
    inner join newest_deliveries
        on
            deliveries.source_file = newest_deliveries.source_file
            and deliveries.delivered_at = newest_deliveries.delivered_at
    where deliveries.status = 'loaded'

),

final as (

    select
        metric_values.metric_date,
        metric_values.team,
        metric_values.metric,
        {{ to_quantity('metric_values.metric_value') }} as metric_value,
        metric_values.source_file,
        metric_values.source_row
    from metric_values
    inner join current_deliveries
        on metric_values.delivery_id = current_deliveries.delivery_id

)

select * from final
{%- else %}
select
    cast(null as date) as metric_date,
    cast(null as {{ dbt.type_string() }}) as team,
    cast(null as {{ dbt.type_string() }}) as metric,
    {{ to_quantity('null') }} as metric_value,
    cast(null as {{ dbt.type_string() }}) as source_file,
    cast(null as {{ dbt.type_bigint() }}) as source_row
where false
{%- endif %}
