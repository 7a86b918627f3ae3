{#
  The team of each project's ancestry (`project.ancestors`, ordered from the project up to the
  organization) through seeds/ancestor_teams.csv: the nearest mapped ancestor wins, so a team
  folder inside a department folder beats the department. Resolved once per project and
  ancestry path: a bill has millions of rows but a few hundred projects. The key is the project
  id and its `ancestry_numbers` path (two short strings, which change exactly when the
  ancestors do) rather than the ancestors array: hashing the array per row cost ~1 s per 1M rows.
#}
with

signatures as (

    select * from {{ ref('int_attribution_signatures') }}

),

ancestor_teams as (

    select * from {{ ref('ancestor_teams') }}

),

ancestries as (

    select
        coalesce(sub_account_id, '') as sub_account_id,
        coalesce(project_ancestry_numbers, '') as ancestry_numbers,
        {{ dbt.any_value('project_ancestors') }} as ancestors
    from signatures
    group by 1, 2

),

-- Few ancestries times few mapped ancestors: a cross join is cheap here.
mapped_ancestors as (

    select
        ancestries.sub_account_id,
        ancestries.ancestry_numbers,
        ancestor_teams.ancestor as ancestor_resource_name,
        ancestor_teams.team,
        {{ ancestor_position('ancestries.ancestors', 'ancestor_teams.ancestor') }} as ancestor_position
    from ancestries
    cross join ancestor_teams

),

ranked as (

    select
        sub_account_id,
        ancestry_numbers,
        ancestor_resource_name,
        team,
        row_number() over (partition by sub_account_id, ancestry_numbers order by ancestor_position) as nearness_rank
    from mapped_ancestors
    where ancestor_position is not null

),

final as (

    select
        sub_account_id,
        ancestry_numbers,
        ancestor_resource_name,
        team
    from ranked
    where nearness_rank = 1

)

select * from final
