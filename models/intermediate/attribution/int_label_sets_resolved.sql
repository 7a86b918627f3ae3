{#
  The team and phase label values of each distinct set of labels (resource or project labels)
  of the attribution signatures, and the known team and phase each maps to. A bill has millions
  of rows but a few thousand distinct label sets, so labels are normalised and looked up once per
  set; cost groups join back on the set. The Kubernetes team value (GKE cost allocation labels)
  is looked up here too: it lives in the resource labels.
#}
with

signatures as (

    select * from {{ ref('int_attribution_signatures') }}

),

tag_key_lists as (

    select * from {{ ref('int_tag_key_lists') }}

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

-- Distinct (resource, project) pairs first, where a union of both columns would stack twice as
-- many label arrays before grouping them.
label_set_pairs as (

    select
        {{ dbt.any_value('resource_labels') }} as resource_labels,
        {{ dbt.any_value('project_labels') }} as project_labels
    from signatures
    group by {{ label_set_grouping('resource_labels') }}, {{ label_set_grouping('project_labels') }}

),

all_label_sets as (

    select resource_labels as labels from label_set_pairs
    union all
    select project_labels as labels from label_set_pairs

),

label_sets as (

    select
        {{ label_set_key(dbt.any_value('labels')) }} as label_set_key,
        {{ dbt.any_value('labels') }} as labels
    from all_label_sets
    where labels is not null  -- keyed like the empty set: no labels
    group by {{ label_set_grouping('labels') }}

),

label_values as (

    select
        label_sets.label_set_key,
        {{ label_lookup('label_sets.labels', 'tag_key_lists.team_keys') }} as team_value,
        {{ label_lookup('label_sets.labels', 'tag_key_lists.k8s_team_keys') }} as k8s_team_value,
        {{ label_lookup('label_sets.labels', 'tag_key_lists.phase_keys') }} as phase_value,
        -- FOCUS Tags text, built once per set rather than once per line item.
        {{ labels_to_json('label_sets.labels') }} as labels_json
    from label_sets
    cross join tag_key_lists

),

final as (

    select
        label_values.label_set_key,
        label_values.team_value,
        label_team.team,
        label_values.k8s_team_value,
        k8s_team.team as k8s_team,
        label_values.phase_value,
        label_phase.workload_phase,
        label_values.labels_json
    from label_values
    left join team_aliases as label_team
        on {{ normalize_team_value('label_values.team_value') }} = label_team.alias
    left join team_aliases as k8s_team
        on {{ normalize_team_value('label_values.k8s_team_value') }} = k8s_team.alias
    left join phase_aliases as label_phase
        on {{ normalize_phase_value('label_values.phase_value') }} = label_phase.alias

)

select * from final
