{#
  One row: the normalised label keys that mean "team" and "workload phase", in priority
  order, from seeds/tag_key_aliases.csv. Cross-joined onto label sets so label lookups
  stay one pass over each set's labels. `k8s_team_keys` are the keys GKE cost allocation
  writes: `k8s-label/<team key>` in the team keys' order, then `k8s-namespace` last.
#}
with

tag_key_aliases as (

    select * from {{ ref('tag_key_aliases') }}

),

team_keys as (

    select {{ ordered_string_array(normalize_tag_key('alias'), 'priority, alias') }} as team_keys
    from tag_key_aliases
    where canonical_key = 'team'

),

k8s_keys as (

    -- A pod label naming the team beats the namespace, which is only a team's name by convention.
    select
        concat('k8s_label/', {{ normalize_tag_key('alias') }}) as k8s_key,
        0 as source_order,
        priority,
        alias
    from tag_key_aliases
    where canonical_key = 'team'

    union all

    select
        {{ normalize_tag_key("'k8s-namespace'") }} as k8s_key,
        1 as source_order,
        0 as priority,
        'k8s-namespace' as alias

),

k8s_team_keys as (

    select {{ ordered_string_array('k8s_key', 'source_order, priority, alias') }} as k8s_team_keys
    from k8s_keys

),

phase_keys as (

    select {{ ordered_string_array(normalize_tag_key('alias'), 'priority, alias') }} as phase_keys
    from tag_key_aliases
    where canonical_key = 'workload_phase'

),

final as (

    select
        team_keys.team_keys,
        phase_keys.phase_keys,
        k8s_team_keys.k8s_team_keys
    from team_keys
    cross join phase_keys
    cross join k8s_team_keys

)

select * from final
