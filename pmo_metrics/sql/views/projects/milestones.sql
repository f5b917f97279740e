-- The project's milestones ($project_id) with baseline, forecast and actual dates as known at
-- end(M) ($month_end: an actual date after it is not known yet), the slip in days and the state.

with

source_milestones as (
    select * from milestones where project_id = $project_id
),

as_known as (
    select *, case when actual_date <= $month_end::date then actual_date end as known_actual_date
    from source_milestones
),

final as (
    select
        milestone_id,
        milestone_name,
        is_gate,
        baseline_date,
        forecast_date,
        known_actual_date as actual_date,
        date_diff('day', baseline_date, coalesce(known_actual_date, forecast_date, baseline_date)) as slip_days,
        case
            when known_actual_date <= baseline_date then 'achieved on time'
            when known_actual_date is not null then 'achieved late'
            when baseline_date <= $month_end::date then 'overdue'
            else 'upcoming'
        end as state
    from as_known
)

select * from final
order by baseline_date, milestone_id
