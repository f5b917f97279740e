-- For each table, the load that supplies its rows now: the latest load that carried it (a later
-- partial load replaces only its own tables).

select t.load_id
from meta.table_rows as t
join meta.load_log as l using (load_id)
qualify row_number() over (partition by t."table" order by l.finished_at desc) = 1
