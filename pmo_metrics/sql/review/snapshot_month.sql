-- The projects snapshot that stands for $month: the latest one taken in or before it.

select max(snapshot_month) as snapshot_month
from meta.project_snapshots
where snapshot_month <= $month
