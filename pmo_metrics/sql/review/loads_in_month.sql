-- The loads dated in M ($month_start … $month_end), in the order they finished.

select load_id, load_date, batch, message
from meta.load_log
where load_date between $month_start and $month_end
order by finished_at
