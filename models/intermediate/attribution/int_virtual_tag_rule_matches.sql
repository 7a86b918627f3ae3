{#
  The first virtual-tag rule (seeds/virtual_tag_rules.csv, lowest priority first) that sets a
  team, and the first that sets a phase, for each distinct rule signature of the line items:
  (provider, billing account, sub-account, service, charge description, resource name,
  resource label set).

  Rules are matched once per signature, not per line item. Date-limited rule rows (valid_from
  inclusive, valid_to exclusive, on the UTC date of charge_period_start) split a signature's
  time line into intervals at their boundaries; each interval gets its own winners. A signature
  that only undated rules match has one interval, 0001-01-01 to 9999-12-31, so cost groups join on
  the signature and a date range and each finds exactly one interval.
#}
{%- set signature = [
    'provider_name', 'billing_account_id', 'sub_account_id', 'service_name',
    'charge_description', 'resource_name', 'label_set_key',
] -%}
{#- What each winner decides: (output prefix, rule column). -#}
{%- set decisions = [('team', 'team'), ('phase', 'workload_phase')] -%}

with

attribution_signatures as (

    select * from {{ ref('int_attribution_signatures') }}

),

rules as (

    select
        rule_id,
        priority,
        lower(provider_name) as provider_name,
        billing_account_id,
        lower(sub_account_pattern) as sub_account_pattern,
        lower(service_pattern) as service_pattern,
        lower(sku_pattern) as sku_pattern,
        lower(resource_pattern) as resource_pattern,
        {{ normalize_tag_key('label_key') }} as label_key,
        lower(label_value_pattern) as label_value_pattern,
        team,
        workload_phase,
        valid_from,
        valid_to
    from {{ ref('virtual_tag_rules') }}

),

signatures as (

    select
        provider_name,
        coalesce(billing_account_id, '') as billing_account_id,
        coalesce(sub_account_id, '') as sub_account_id,
        coalesce(service_name, '') as service_name,
        coalesce(charge_description, '') as charge_description,
        coalesce(resource_name, '') as resource_name,
        {{ label_set_key('resource_labels') }} as label_set_key,
        {{ dbt.any_value('resource_labels') }} as resource_labels
    from attribution_signatures
    group by 1, 2, 3, 4, 5, 6, 7

),

-- Signatures times rules: both are small. The conditions sit in `where` because BigQuery
-- does not take the label subquery in a join condition.
candidates as (

    select
        signatures.provider_name,
        signatures.billing_account_id,
        signatures.sub_account_id,
        signatures.service_name,
        signatures.charge_description,
        signatures.resource_name,
        signatures.label_set_key,
        rules.rule_id,
        rules.priority,
        rules.team,
        rules.workload_phase,
        rules.valid_from,
        rules.valid_to
    from signatures
    cross join rules
    where (rules.provider_name is null or lower(signatures.provider_name) = rules.provider_name)
        and (rules.billing_account_id is null or signatures.billing_account_id = rules.billing_account_id)
        and (rules.sub_account_pattern is null or lower(signatures.sub_account_id) like rules.sub_account_pattern)
        and (rules.service_pattern is null or lower(signatures.service_name) like rules.service_pattern)
        and (rules.sku_pattern is null or lower(signatures.charge_description) like rules.sku_pattern)
        and (rules.resource_pattern is null or lower(signatures.resource_name) like rules.resource_pattern)
        and {{ labels_match('signatures.resource_labels', 'rules.label_key', 'rules.label_value_pattern') }}

),

-- Interval starts: the beginning of time, and every date a matching rule row starts or ends.
interval_starts as (

    select distinct
        {{ signature | join(', ') }},
        cast('0001-01-01' as date) as valid_from
    from candidates

    union distinct

    select {{ signature | join(', ') }}, valid_from
    from candidates
    where valid_from is not null

    union distinct

    select {{ signature | join(', ') }}, valid_to
    from candidates
    where valid_to is not null

),

intervals as (

    select
        *,
        coalesce(
            lead(valid_from) over (partition by {{ signature | join(', ') }} order by valid_from),
            cast('9999-12-31' as date)
        ) as valid_to
    from interval_starts

),

-- A rule row covers an interval entirely or not at all: intervals break at every rule date.
interval_candidates as (

    select
        {%- for column in signature %}
        intervals.{{ column }},
        {%- endfor %}
        intervals.valid_from,
        intervals.valid_to,
        candidates.rule_id,
        candidates.priority,
        candidates.team,
        candidates.workload_phase
    from intervals
    inner join candidates
        on {% for column in signature %}intervals.{{ column }} = candidates.{{ column }}
            and {% endfor -%}
            (candidates.valid_from is null or intervals.valid_from >= candidates.valid_from)
            and (candidates.valid_to is null or intervals.valid_to <= candidates.valid_to)

),
{% for prefix, column in decisions %}
-- The first rule (priority, then rule_id) that sets a {{ column }}, per interval.
{{ prefix }}_winners as (

    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ signature | join(', ') }}, valid_from
                order by priority, rule_id
            ) as match_rank
        from interval_candidates
        where {{ column }} is not null
    ) as ranked
    where match_rank = 1

),
{% endfor %}
final as (

    select
        {%- for column in signature %}
        intervals.{{ column }},
        {%- endfor %}
        intervals.valid_from,
        intervals.valid_to,
        team_winners.rule_id as team_rule_id,
        team_winners.team,
        phase_winners.rule_id as phase_rule_id,
        phase_winners.workload_phase
    from intervals
    -- SQLFluff misplaces the indents of the lines a Jinja loop of joins writes.
    -- noqa: disable=LT02
    {%- for prefix, column in decisions %}
    left join {{ prefix }}_winners
        on {% for key in signature + ['valid_from'] %}intervals.{{ key }} = {{ prefix }}_winners.{{ key }}
            {%- if not loop.last %}
            and {% endif %}{% endfor %}
    {%- endfor %}
    -- noqa: enable=LT02
    where team_winners.rule_id is not null or phase_winners.rule_id is not null

)

select * from final
