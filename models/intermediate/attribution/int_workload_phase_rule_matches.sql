{#
  The first phase rule (seeds/workload_phase_rules.csv, lowest priority first) that matches
  each distinct (service, charge description, resource name). Rules are matched once per distinct
  signature, not once per line item: a bill has millions of rows but few signatures.
#}
with

attribution_signatures as (

    select * from {{ ref('int_attribution_signatures') }}

),

rules as (

    select * from {{ ref('workload_phase_rules') }}

),

signatures as (

    select distinct
        coalesce(service_name, '') as service_name,
        coalesce(charge_description, '') as charge_description,
        coalesce(resource_name, '') as resource_name
    from attribution_signatures

),

matches as (

    select
        signatures.service_name,
        signatures.charge_description,
        signatures.resource_name,
        rules.rule_id,
        rules.workload_phase,
        row_number() over (
            partition by signatures.service_name, signatures.charge_description, signatures.resource_name
            order by rules.priority, rules.rule_id
        ) as match_rank
    from signatures
    inner join rules
        on (rules.service_pattern is null or lower(signatures.service_name) like lower(rules.service_pattern))
            and (rules.sku_pattern is null or lower(signatures.charge_description) like lower(rules.sku_pattern))
            and (rules.resource_pattern is null or lower(signatures.resource_name) like lower(rules.resource_pattern))

),

final as (

    select
        service_name,
        charge_description,
        resource_name,
        rule_id,
        workload_phase
    from matches
    where match_rank = 1

)

select * from final
