-- The active projects at M ($as_of) with their strategic value (priority score), risk exposure
-- (Σ probability × impact of the risks open at end(M)), open risks, budget and RAG: the points of
-- the value-vs-risk chart.

with

project_table as (
    {{ ref('kpis/project_table') }}
),

risk_states as (
    {{ ref('kpis/risk_states') }}
),

open_risks as (
    select project_id, count(*) as open_risks, sum(score) as risk_exposure
    from risk_states
    where month = $as_of and is_open
    group by all
),

project_dim as (
    select project_id, priority_score from marts.projects
),

final as (
    select t.project_id, t.project_name, t.portfolio, t.overall_rag, p.priority_score,
           coalesce(r.risk_exposure, 0) as risk_exposure, coalesce(r.open_risks, 0) as open_risks, t.bac
    from project_table as t
    join project_dim as p using (project_id)
    left join open_risks as r using (project_id)
    where t.active
)

select * from final
order by portfolio, project_id
