-- The finish-slip signal from the projects snapshots (meta.project_snapshots, one per month a load
-- replaced projects): per month asked for ($months) and selected project, of the last $slip_window
-- changes between consecutive snapshots dated ≤ M, how many moved the finish (forecast, else
-- baseline) later, and by how many days in all. Projects finished by the snapshot are left out.

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

snapshots as (
    select
        s.snapshot_month,
        s.project_id,
        coalesce(s.forecast_finish_date, s.baseline_finish_date) as finish_date,
        s.actual_finish_date
    from meta.project_snapshots as s
    join selected_projects as p using (project_id)
),

changes as (
    select
        snapshot_month,
        project_id,
        actual_finish_date,
        date_diff('day', lag(finish_date) over by_snapshot, finish_date) as moved_days
    from snapshots
    window by_snapshot as (partition by project_id order by snapshot_month)
),

ranked as (
    select
        m.month,
        c.project_id,
        c.moved_days,
        row_number() over (partition by m.month, c.project_id order by c.snapshot_month desc) as recency
    from months as m
    join changes as c on c.snapshot_month <= m.month and c.moved_days is not null
    where c.actual_finish_date is null
),

final as (
    select
        month,
        project_id,
        count(*) as changes_seen,
        count(*) filter (where moved_days > 0) as moves_later,
        sum(moved_days) filter (where moved_days > 0) as days_later
    from ranked
    where recency <= $slip_window
    group by month, project_id
)

select * from final
order by month, project_id
