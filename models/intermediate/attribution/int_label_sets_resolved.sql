{#
  The team and phase label values of each distinct set of labels (resource or project labels)
  of the line items. A bill has millions of rows but a few thousand distinct label sets, so
  labels are normalised and looked up once per set; line items join back on the set.
#}
with

line_items as (

    select * from {{ ref('int_cost_line_items_focus_aligned') }}

),

tag_key_lists as (

    select * from {{ ref('int_tag_key_lists') }}

),

all_label_sets as (

    select resource_labels as labels from line_items
    union all
    select project_labels as labels from line_items

),

label_sets as (

    select
        {{ label_set_key('labels') }} as label_set_key,
        {{ dbt.any_value('labels') }} as labels
    from all_label_sets
    group by {{ label_set_key('labels') }}

),

final as (

    select
        label_sets.label_set_key,
        {{ label_lookup('label_sets.labels', 'tag_key_lists.team_keys') }} as team_value,
        {{ label_lookup('label_sets.labels', 'tag_key_lists.phase_keys') }} as phase_value
    from label_sets
    cross join tag_key_lists

)

select * from final
