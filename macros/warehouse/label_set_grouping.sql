{#
  What groups distinct sets of labels (or tags) exactly: the list itself in DuckDB, its JSON
  text on BigQuery (which cannot group by arrays). See label_set_key.
#}
{% macro label_set_grouping(labels) -%}
    {{ return(adapter.dispatch('label_set_grouping')(labels)) }}
{%- endmacro %}

{% macro default__label_set_grouping(labels) -%}{{ labels }}{%- endmacro %}
{% macro bigquery__label_set_grouping(labels) -%}to_json_string({{ labels }}){%- endmacro %}
