{#
  Normalisation applied before matching, so that `Team`, ` team `, `owner-team` and
  `Owner Team` all meet the aliases in seeds/tag_key_aliases.csv. The seeds hold the
  normalised forms. Plain SQL functions: the same on every warehouse.
#}
{% macro normalize_tag_key(expression) -%}
    replace(replace(lower(trim({{ expression }})), '-', '_'), ' ', '_')
{%- endmacro %}

{# Team values: `Foundation_Models ` → `foundation-models`; matched against seeds/team_aliases.csv. #}
{% macro normalize_team_value(expression) -%}
    replace(lower(trim({{ expression }})), '_', '-')
{%- endmacro %}

{# Phase values: `Fine-Tuning` → `fine_tuning`; matched against seeds/workload_phase_aliases.csv. #}
{% macro normalize_phase_value(expression) -%}
    replace(replace(lower(trim({{ expression }})), '-', '_'), ' ', '_')
{%- endmacro %}
