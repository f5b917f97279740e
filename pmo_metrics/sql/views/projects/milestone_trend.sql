-- Milestone trend analysis of one project ($project_id): per milestone and monthly snapshot up to M
-- ($month; all when NULL) — meta.milestone_snapshots, the milestones extract as each month's load
-- carried it — the date the milestone was expected then: its actual date once achieved, else its
-- forecast, else its baseline. A milestone's line ends at the first snapshot that shows it achieved;
-- a milestone already achieved in its first snapshot has no trend to draw and is left out.

with

snapshots as (
    select *
    from meta.milestone_snapshots
    where project_id = $project_id
      and ($month::varchar is null or snapshot_month <= $month::varchar)
),

dated as (
    select
        *,
        coalesce(actual_date, forecast_date, baseline_date) as expected_date,
        min(snapshot_month) over by_milestone as first_month,
        min(snapshot_month) filter (where actual_date is not null) over by_milestone as done_month,
        -- the plan as the latest snapshot states it orders the milestones
        arg_max(baseline_date, snapshot_month) over by_milestone as latest_baseline
    from snapshots
    window by_milestone as (partition by milestone_id)
),

final as (
    select
        snapshot_month,
        milestone_id,
        milestone_name,
        is_gate,
        baseline_date,
        forecast_date,
        actual_date,
        expected_date,
        actual_date is not null as is_done,
        latest_baseline
    from dated
    where (done_month is null or first_month < done_month)
      and (done_month is null or snapshot_month <= done_month)
)

select * exclude (latest_baseline)
from final
order by latest_baseline, milestone_id, snapshot_month
