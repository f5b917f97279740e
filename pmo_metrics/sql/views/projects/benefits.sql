-- Each benefit of the project ($project_id): planned and actual value per measured month ≤ M
-- ($month; all when NULL), long format, oldest first.

with

source_benefits as (
    select * from benefits where project_id = $project_id
),

final as (
    select b.benefit_id, b.benefit_name, b.category, b.benefit_type, b.unit, b.baseline_value,
           b.target_value, m.period, m.planned_value, m.actual_value
    from source_benefits as b
    join benefit_measurements as m using (benefit_id)
    where $month::varchar is null or m.period <= $month::varchar
)

select * from final
order by benefit_id, period
