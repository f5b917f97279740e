-- Per given project ($project_ids) present in both projects snapshots ($before, $after) and not yet
-- finished: the forecast finish (else baseline) and budget at completion in each, and the changes
-- (days, money). Only projects where something changed; the largest slips first.

with

snapshot_before as (
    select * from meta.project_snapshots where snapshot_month = $before
),

snapshot_after as (
    select * from meta.project_snapshots where snapshot_month = $after
),

compared as (
    select
        b.project_id,
        a.stage as stage_before,
        b.stage,
        coalesce(a.forecast_finish_date, a.baseline_finish_date) as finish_before,
        coalesce(b.forecast_finish_date, b.baseline_finish_date) as finish,
        a.budget_at_completion as bac_before,
        b.budget_at_completion as bac,
        b.actual_finish_date
    from snapshot_after as b
    join snapshot_before as a using (project_id)
    where list_contains($project_ids::varchar[], b.project_id)
),

final as (
    select
        project_id, stage_before, stage, finish_before, finish,
        date_diff('day', finish_before, finish) as slip_days,
        bac_before, bac,
        bac - bac_before as bac_change
    from compared
    where actual_finish_date is null
      and (finish_before is distinct from finish or bac_before is distinct from bac)
)

select * from final
order by abs(coalesce(slip_days, 0)) desc, project_id
