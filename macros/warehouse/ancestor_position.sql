{#
  1-based position of `resource_name` (e.g. 'folders/123') in a project's ancestors array
  (ordered from the project up to the organization); null when it is not an ancestor.
  Evaluated once per project ancestry (int_project_ancestor_teams), never per row.
#}
{% macro ancestor_position(ancestors, resource_name) -%}
    {{ return(adapter.dispatch('ancestor_position')(ancestors, resource_name)) }}
{%- endmacro %}

{% macro default__ancestor_position(ancestors, resource_name) -%}
    list_position(list_transform({{ ancestors }}, lambda ancestor_node: ancestor_node.resource_name), {{ resource_name }})
{%- endmacro %}

{% macro bigquery__ancestor_position(ancestors, resource_name) -%}
    (
        select min(ancestor_offset) + 1
        from unnest({{ ancestors }}) as ancestor with offset as ancestor_offset
        where ancestor.resource_name = {{ resource_name }}
    )
{%- endmacro %}
