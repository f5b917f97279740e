-- The allocations in the planning window ($months), each with its resource's department and whether
-- its project is a candidate (CONTRACT §7: a candidate's needs, and the hours already committed to
-- every other project).

with

candidate_projects as (
    {{ ref('views/selection/candidate_projects') }}
),

source_allocations as (
    select * from allocations
),

source_resources as (
    select * from resources
),

final as (
    select
        a.project_id,
        a.resource_id,
        r.department,
        a.period,
        a.planned_hours,
        a.project_id in (select project_id from candidate_projects) as is_candidate
    from source_allocations as a
    join source_resources as r on r.resource_id = a.resource_id
    where list_contains($months::varchar[], a.period)
)

select * from final
