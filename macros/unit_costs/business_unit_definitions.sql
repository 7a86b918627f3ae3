{#
  What each business metric is a unit of: the workload phase whose cost it divides (the subject),
  per how many units, and the unit cost's name. One list for the monthly and the daily unit costs.
#}
{% macro business_unit_definitions() -%}
    {%- set definitions = [
        ('requests_served', 'cost_per_thousand_requests', 'inference', 'thousand requests', 1000),
        ('documents_processed', 'cost_per_thousand_documents', 'data_preparation', 'thousand documents', 1000),
    ] -%}
    {%- for business_metric, metric, subject, quantity_unit, per_units in definitions %}
    {{ 'union all' if not loop.first }}
    select
        '{{ business_metric }}' as business_metric,
        '{{ metric }}' as metric,
        '{{ subject }}' as subject,
        '{{ quantity_unit }}' as quantity_unit,
        {{ per_units }}.0 as per_units
    {%- endfor %}
{%- endmacro %}
