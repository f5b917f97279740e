-- The months the warehouse holds a milestone snapshot for (meta.milestone_snapshots), up to M
-- ($month; all when NULL), oldest first: a milestone trend needs two of them.

select distinct snapshot_month
from meta.milestone_snapshots
where $month::varchar is null or snapshot_month <= $month::varchar
order by snapshot_month
