{#
  Every line item with its owning team and workload phase, and how each was decided.

  Team, first hit wins: resource label → project label → unallocated. A label whose value
  maps to no known team stops the chain: the row is unallocated with reason
  `unknown_team_value` and the value is kept, so owners can fix it at the source.

  Phase: resource phase label → project phase label → first matching phase rule →
  unclassified. A phase label with an unknown value falls through to the rules.
#}
with

line_items as (

    select * from {{ ref('int_cost_line_items_focus_aligned') }}

),

label_values as (

    select * from {{ ref('int_label_sets_resolved') }}

),

team_aliases as (

    select
        {{ normalize_team_value('alias') }} as alias,
        team
    from {{ ref('team_aliases') }}

),

phase_aliases as (

    select
        {{ normalize_phase_value('alias') }} as alias,
        workload_phase
    from {{ ref('workload_phase_aliases') }}

),

phase_rule_matches as (

    select * from {{ ref('int_workload_phase_rule_matches') }}

),

labelled as (

    select
        line_items.*,
        resource_values.team_value as resource_team_value,
        project_values.team_value as project_team_value,
        resource_values.phase_value as resource_phase_value,
        project_values.phase_value as project_phase_value
    from line_items
    left join label_values as resource_values
        on {{ label_set_key('line_items.resource_labels') }} = resource_values.label_set_key
    left join label_values as project_values
        on {{ label_set_key('line_items.project_labels') }} = project_values.label_set_key

),

resolved as (

    select
        labelled.*,
        resource_team.team as resource_team,
        project_team.team as project_team,
        resource_phase.workload_phase as resource_phase,
        project_phase.workload_phase as project_phase,
        phase_rule_matches.rule_id as phase_rule_id,
        phase_rule_matches.workload_phase as rule_phase
    from labelled
    left join team_aliases as resource_team
        on {{ normalize_team_value('labelled.resource_team_value') }} = resource_team.alias
    left join team_aliases as project_team
        on {{ normalize_team_value('labelled.project_team_value') }} = project_team.alias
    left join phase_aliases as resource_phase
        on {{ normalize_phase_value('labelled.resource_phase_value') }} = resource_phase.alias
    left join phase_aliases as project_phase
        on {{ normalize_phase_value('labelled.project_phase_value') }} = project_phase.alias
    left join phase_rule_matches
        on coalesce(labelled.service_name, '') = phase_rule_matches.service_name
        and coalesce(labelled.charge_description, '') = phase_rule_matches.charge_description
        and coalesce(labelled.resource_name, '') = phase_rule_matches.resource_name

),

final as (

    select
        {{ star_except(['resource_team', 'project_team', 'resource_phase', 'project_phase', 'phase_rule_id', 'rule_phase']) }},

        case
            when resource_team_value is not null then coalesce(resource_team, 'unallocated')
            when project_team_value is not null then coalesce(project_team, 'unallocated')
            else 'unallocated'
        end as team,

        case
            when resource_team is not null then 'tag:resource_label'
            when resource_team_value is null and project_team is not null then 'tag:project_label'
            else 'unallocated'
        end as allocation_method,

        case
            when resource_team_value is not null and resource_team is null then 'unknown_team_value'
            when resource_team_value is null and project_team_value is not null and project_team is null then 'unknown_team_value'
            when resource_team_value is null and project_team_value is null then 'no_team_label'
        end as unallocated_reason,

        coalesce(resource_team_value, project_team_value) as team_label_value,

        case
            when resource_phase is not null then resource_phase
            when project_phase is not null then project_phase
            when rule_phase is not null then rule_phase
            else 'unclassified'
        end as workload_phase,

        case
            when resource_phase is not null then 'tag:resource_label'
            when project_phase is not null then 'tag:project_label'
            when rule_phase is not null then concat('rule:', phase_rule_id)
            else 'unclassified'
        end as phase_method

    from resolved

)

select * from final
