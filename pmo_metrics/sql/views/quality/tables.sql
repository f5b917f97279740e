-- The tables the database holds, by schema: the quality views read the loader's meta.* tables only
-- when they exist (a database built by hand has none).

select schema_name, table_name from duckdb_tables()
