-- Whether the warehouse holds the table (or view) $schema_name.$table_name: optional tables such as
-- main.project_scores, and meta.project_snapshots, which a database built by hand lacks.

with

relations as (
    select schema_name, table_name from duckdb_tables() where database_name = current_database()
    union all
    select schema_name, view_name from duckdb_views() where database_name = current_database()
),

final as (
    select count(*) > 0 as present
    from relations
    where schema_name = $schema_name and table_name = $table_name
)

select * from final
