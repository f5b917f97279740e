-- marts.milestone_months: per project and baseline month, the milestones due and those met on time.
-- "On time" (actual_date ≤ baseline_date) does not depend on M: for a milestone due by end(M),
-- actual_date ≤ baseline_date ≤ end(M) already implies actual_date ≤ end(M) (CONTRACT §3).

with

source_milestones as (
    select * from milestones
),

final as (
    select
        project_id,
        date_trunc('month', baseline_date)::date as baseline_month_start,
        count(*) as milestones_due,
        count(*) filter (where actual_date <= baseline_date) as milestones_on_time
    from source_milestones
    where project_id is not null and baseline_date is not null
    group by all
)

select * from final
order by project_id, baseline_month_start
