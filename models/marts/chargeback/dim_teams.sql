{#
  The team directory from seeds/teams.csv, plus the `unallocated` member so that every
  fact row's team points at a row here.
#}
with

teams as (

    select * from {{ ref('teams') }}

),

unallocated as (

    select
        cast('unallocated' as {{ dbt.type_string() }}) as team,
        cast('Unallocated' as {{ dbt.type_string() }}) as team_name,
        cast(null as {{ dbt.type_string() }}) as cost_center,
        cast(null as {{ dbt.type_string() }}) as owner_email,
        cast('Cost no tag or rule attributes to a known team yet' as {{ dbt.type_string() }}) as description,
        false as is_known_team

),

final as (

    select
        team,
        team_name,
        cost_center,
        owner_email,
        description,
        true as is_known_team
    from teams

    union all

    select * from unallocated

)

select * from final
