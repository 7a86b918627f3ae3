{#
  How a seed file is read, every CSV option set so DuckDB's sniffer guesses nothing: dbt-duckdb's
  own COPY sets only the delimiter and sniffs the quoting, so one stray quote could make it read
  every quoted value of the file with its quotes. Line endings are detected for the whole file
  (LF or CRLF, not both). The configuration check (orchestration/configuration/loading.py)
  reads the seeds with these very options, so it judges what dbt loads.
#}
{% macro seed_csv_options() -%}
FORMAT CSV, HEADER TRUE, DELIMITER ',', QUOTE '"', ESCAPE '"', AUTO_DETECT FALSE, STRICT_MODE TRUE
{%- endmacro %}

{#
  dbt-duckdb's seed loading (dispatched by dbt as load_csv_rows), with the options above. The
  table exists already, with the columns dbt read from the header and seeds/_seeds.yml's
  column_types. BigQuery loads seeds its own way (dbt-bigquery's load job), so it has no override.
#}
{% macro duckdb__load_csv_rows(model, agate_table) -%}
    {%- set sql -%}
        copy {{ this.render() }} from '{{ adapter.get_seed_file_path(model) }}' ({{ seed_csv_options() }})
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {{ return(sql) }}
{%- endmacro %}
