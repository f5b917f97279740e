-- The benefits whose progress was at least $benefit_on_track at M − 1 ($previous) and is below it
-- at M ($as_of; $months holds both).

with

benefit_rows as (
    {{ ref('kpis/benefit_rows') }}
),

this_month as (
    select * from benefit_rows where month = $as_of
),

last_month as (
    select benefit_id, progress from benefit_rows where month = $previous
),

final as (
    select n.benefit_id, n.benefit_name, n.category, n.project_id, n.project_name, n.baseline_value,
           n.planned_value, n.actual_value, b.progress as previous_progress, n.progress
    from this_month as n
    join last_month as b using (benefit_id)
    where b.progress >= $benefit_on_track and n.progress < $benefit_on_track
)

select * from final
order by benefit_id
