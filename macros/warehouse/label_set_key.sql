{#
  The join key of a distinct set of labels (or tags). A bill has millions of rows but a few
  thousand distinct sets, so sets are resolved once each, in small lookup tables the line items
  join on this key.

  DuckDB: a 64-bit hash, because joining millions of rows on a number is several times faster
  than on lists of records (a null set hashes like the empty set, and means the same: no labels).
  BigQuery cannot compare arrays: their JSON text. The lookups group by label_set_grouping and
  carry this key, so two sets whose hashes collide would give a duplicate key and fail the
  lookups' unique tests instead of merging silently.
#}
{% macro label_set_key(labels) -%}
    {{ return(adapter.dispatch('label_set_key')(labels)) }}
{%- endmacro %}

{% macro default__label_set_key(labels) -%}hash({{ labels }}){%- endmacro %}
{% macro bigquery__label_set_key(labels) -%}to_json_string({{ labels }}){%- endmacro %}
