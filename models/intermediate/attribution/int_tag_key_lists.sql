{#
  One row: the normalised label keys that mean "team" and "workload phase", in priority
  order, from seeds/tag_key_aliases.csv. Cross-joined onto line items so label lookups
  stay one pass over each row's labels.
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

phase_keys as (

    select {{ ordered_string_array(normalize_tag_key('alias'), 'priority, alias') }} as phase_keys
    from tag_key_aliases
    where canonical_key = 'workload_phase'

),

final as (

    select
        team_keys.team_keys,
        phase_keys.phase_keys
    from team_keys
    cross join phase_keys

)

select * from final
