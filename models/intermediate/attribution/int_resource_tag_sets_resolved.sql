{#
  The team value of each distinct set of resource-manager tags (`tags` in the GCP export),
  split by where the tag is bound: on the resource itself (`inherited = false`) or inherited
  from its project, folder or organization. Tag keys are short names (`team`) matched through
  the same key aliases as labels; values map to known teams through the team aliases.
  Resolved once per distinct set, like int_label_sets_resolved.
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

tag_sets as (

    select
        {{ label_set_key(dbt.any_value('resource_tags')) }} as tag_set_key,
        {{ dbt.any_value('resource_tags') }} as tags
    from signatures
    where resource_tags is not null  -- keyed like the empty set: no tags
    group by {{ label_set_grouping('resource_tags') }}

),

tag_values as (

    select
        tag_sets.tag_set_key,
        {{ tag_lookup('tag_sets.tags', 'tag_key_lists.team_keys', 'false') }} as resource_tag_value,
        {{ tag_lookup('tag_sets.tags', 'tag_key_lists.team_keys', 'true') }} as inherited_tag_value
    from tag_sets
    cross join tag_key_lists

),

final as (

    select
        tag_values.tag_set_key,
        tag_values.resource_tag_value,
        resource_tag_team.team as resource_tag_team,
        tag_values.inherited_tag_value,
        inherited_tag_team.team as inherited_tag_team
    from tag_values
    left join team_aliases as resource_tag_team
        on {{ normalize_team_value('tag_values.resource_tag_value') }} = resource_tag_team.alias
    left join team_aliases as inherited_tag_team
        on {{ normalize_team_value('tag_values.inherited_tag_value') }} = inherited_tag_team.alias

)

select * from final
