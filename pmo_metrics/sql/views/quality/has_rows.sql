-- Whether any of the tables named in $tables (contract tables, from an allow-list) holds a row.

select count(*) > 0 as has_rows from (select 1 from query_table($tables::varchar[], true) limit 1)
