{#
  Every cost group (int_cost_groups: line items with one attribution signature, currency, invoice
  month and usage day) with its owning team and workload phase, and how each was decided.

  Team, first link that yields a KNOWN team wins (allocation_method):
    1. resource label                                   tag:resource_label
    2. resource-manager tag on the resource, then an
       inherited one (project, folder, organization)    tag:resource_tag / tag:inherited_tag
    3. GKE cost allocation label `k8s-label/<team key>`,
       else the `k8s-namespace`                         tag:kubernetes_label
    4. project label                                    tag:project_label
    5. nearest mapped ancestor (seeds/ancestor_teams)   rule:ancestor:<resource_name>
    6. first matching virtual-tag rule that sets a team rule:<rule_id>
    7. unallocated
  A value that maps to no known team does not stop the chain: a later link may still decide
  (a typo on the resource, a team label on its project). When none does, the row is unallocated
  with reason `unknown_team_value`, and team_label_value keeps the first value seen so owners
  can fix it at the source; with no value at all the reason is `no_team_label`.

  Phase: resource phase label → project phase label → first virtual-tag rule that sets a phase
  → first phase rule (seeds/workload_phase_rules) → unclassified. A phase label with an
  unknown value falls through to the rules.

  Every lookup is resolved once per distinct set or signature upstream; here each group only
  joins small tables, and fct_cost_line_items gives each line item its group's answer.
#}
with

cost_groups as (

    select * from {{ ref('int_cost_groups') }}

),

label_values as (

    select * from {{ ref('int_label_sets_resolved') }}

),

tag_values as (

    select * from {{ ref('int_resource_tag_sets_resolved') }}

),

ancestor_teams as (

    select * from {{ ref('int_project_ancestor_teams') }}

),

virtual_tag_matches as (

    select * from {{ ref('int_virtual_tag_rule_matches') }}

),

phase_rule_matches as (

    select * from {{ ref('int_workload_phase_rule_matches') }}

),

resolved as (

    select
        cost_groups.*,
        resource_values.labels_json as resource_labels_json,
        resource_values.team_value as resource_label_value,
        resource_values.team as resource_label_team,
        tag_values.resource_tag_value,
        tag_values.resource_tag_team,
        tag_values.inherited_tag_value,
        tag_values.inherited_tag_team,
        resource_values.k8s_team_value as kubernetes_label_value,
        resource_values.k8s_team as kubernetes_label_team,
        project_values.team_value as project_label_value,
        project_values.team as project_label_team,
        ancestor_teams.ancestor_resource_name,
        ancestor_teams.team as ancestor_team,
        virtual_tag_matches.team_rule_id,
        virtual_tag_matches.team as virtual_tag_team,
        virtual_tag_matches.phase_rule_id as virtual_tag_phase_rule_id,
        virtual_tag_matches.workload_phase as virtual_tag_phase,
        resource_values.workload_phase as resource_phase,
        project_values.workload_phase as project_phase,
        phase_rule_matches.rule_id as phase_rule_id,
        phase_rule_matches.workload_phase as rule_phase
    from cost_groups
    left join label_values as resource_values
        on {{ label_set_key('cost_groups.resource_labels') }} = resource_values.label_set_key
    left join label_values as project_values
        on {{ label_set_key('cost_groups.project_labels') }} = project_values.label_set_key
    left join tag_values
        on {{ label_set_key('cost_groups.resource_tags') }} = tag_values.tag_set_key
    left join ancestor_teams
        on coalesce(cost_groups.sub_account_id, '') = ancestor_teams.sub_account_id
            and coalesce(cost_groups.project_ancestry_numbers, '') = ancestor_teams.ancestry_numbers
    left join virtual_tag_matches
        on cost_groups.provider_name = virtual_tag_matches.provider_name
            and coalesce(cost_groups.billing_account_id, '') = virtual_tag_matches.billing_account_id
            and coalesce(cost_groups.sub_account_id, '') = virtual_tag_matches.sub_account_id
            and coalesce(cost_groups.service_name, '') = virtual_tag_matches.service_name
            and coalesce(cost_groups.charge_description, '') = virtual_tag_matches.charge_description
            and coalesce(cost_groups.resource_name, '') = virtual_tag_matches.resource_name
            and {{ label_set_key('cost_groups.resource_labels') }} = virtual_tag_matches.label_set_key
            and coalesce(cost_groups.charge_date, cost_groups.billing_period_start) >= virtual_tag_matches.valid_from
            and coalesce(cost_groups.charge_date, cost_groups.billing_period_start) < virtual_tag_matches.valid_to
    left join phase_rule_matches
        on coalesce(cost_groups.service_name, '') = phase_rule_matches.service_name
            and coalesce(cost_groups.charge_description, '') = phase_rule_matches.charge_description
            and coalesce(cost_groups.resource_name, '') = phase_rule_matches.resource_name

),

final as (

    select
        {{ star_except([
            'resource_label_value', 'resource_label_team', 'resource_tag_value', 'resource_tag_team',
            'inherited_tag_value', 'inherited_tag_team', 'kubernetes_label_value', 'kubernetes_label_team',
            'project_label_value', 'project_label_team', 'ancestor_resource_name', 'ancestor_team',
            'team_rule_id', 'virtual_tag_team', 'virtual_tag_phase_rule_id', 'virtual_tag_phase',
            'resource_phase', 'project_phase', 'phase_rule_id', 'rule_phase',
        ]) }},

        coalesce(
            resource_label_team, resource_tag_team, inherited_tag_team, kubernetes_label_team,
            project_label_team, ancestor_team, virtual_tag_team, 'unallocated'
        ) as team,

        case
            when resource_label_team is not null then 'tag:resource_label'
            when resource_tag_team is not null then 'tag:resource_tag'
            when inherited_tag_team is not null then 'tag:inherited_tag'
            when kubernetes_label_team is not null then 'tag:kubernetes_label'
            when project_label_team is not null then 'tag:project_label'
            when ancestor_team is not null then concat('rule:ancestor:', ancestor_resource_name)
            when virtual_tag_team is not null then concat('rule:', team_rule_id)
            else 'unallocated'
        end as allocation_method,

        case
            when coalesce(
                    resource_label_team, resource_tag_team, inherited_tag_team, kubernetes_label_team,
                    project_label_team, ancestor_team, virtual_tag_team
                ) is not null then null
            when coalesce(
                    resource_label_value, resource_tag_value, inherited_tag_value, kubernetes_label_value,
                    project_label_value
                ) is not null then 'unknown_team_value'
            else 'no_team_label'
        end as unallocated_reason,

        -- The value of the link that decided; otherwise the first value seen in chain order
        -- (for unallocated rows, the first unknown value).
        case
            when resource_label_team is not null then resource_label_value
            when resource_tag_team is not null then resource_tag_value
            when inherited_tag_team is not null then inherited_tag_value
            when kubernetes_label_team is not null then kubernetes_label_value
            when project_label_team is not null then project_label_value
            else coalesce(
                    resource_label_value, resource_tag_value, inherited_tag_value, kubernetes_label_value,
                    project_label_value
                )
        end as team_label_value,

        coalesce(resource_phase, project_phase, virtual_tag_phase, rule_phase, 'unclassified') as workload_phase,

        case
            when resource_phase is not null then 'tag:resource_label'
            when project_phase is not null then 'tag:project_label'
            when virtual_tag_phase is not null then concat('rule:', virtual_tag_phase_rule_id)
            when rule_phase is not null then concat('rule:', phase_rule_id)
            else 'unclassified'
        end as phase_method

    from resolved

)

-- The cost group's columns, less the lookups' (star_except): SQLFluff cannot count them.
select * from final  -- noqa: AM04
