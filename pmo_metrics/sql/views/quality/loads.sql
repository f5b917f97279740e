-- The loads recorded in the database (of one $status, or all when NULL), newest first, with the
-- files and the rows of each.

select load_id, status, started_at, finished_at, batch, files, rows_loaded, rows_rejected, quarantine, message
from meta.load_log
where $status::varchar is null or status = $status::varchar
order by finished_at desc
