-- How long each candidate has been in its current stage, from the monthly project snapshots
-- (meta.project_snapshots, one per month a load replaced projects): it entered the stage at the first
-- snapshot after the last one that shows it in another stage. `since_start` says the project was
-- already in the stage at the first snapshot of all, so it may have been there longer.

with

candidate_projects as (
    {{ ref('views/selection/candidate_projects') }}
),

snapshots as (
    select snapshot_month, project_id, stage from meta.project_snapshots
),

span as (
    select min(snapshot_month) as first_month, max(snapshot_month) as last_month,
           count(distinct snapshot_month) as snapshot_months
    from snapshots
),

history as (
    select
        c.project_id,
        max(s.snapshot_month) filter (where s.stage is distinct from c.stage) as left_other_stage
    from candidate_projects as c
    left join snapshots as s on s.project_id = c.project_id
    group by c.project_id
),

entered as (
    select
        h.project_id,
        min(s.snapshot_month) as stage_since
    from history as h
    join candidate_projects as c on c.project_id = h.project_id
    join snapshots as s
        on s.project_id = h.project_id and s.stage = c.stage
       and (h.left_other_stage is null or s.snapshot_month > h.left_other_stage)
    group by h.project_id
),

final as (
    select
        h.project_id,
        e.stage_since,
        date_diff('month', strptime(e.stage_since || '-01', '%Y-%m-%d'),
                  strptime(p.last_month || '-01', '%Y-%m-%d')) as months_in_stage,
        h.left_other_stage is null and e.stage_since = p.first_month as since_start,
        p.snapshot_months
    from history as h
    cross join span as p
    left join entered as e on e.project_id = h.project_id
)

select * from final
order by project_id
