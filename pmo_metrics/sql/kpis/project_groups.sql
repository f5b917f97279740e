-- The rows of a KPI result: one per breakdown group of the selected projects, and always the
-- single group 'all' when no breakdown is asked for (so an empty selection still gets a row).

with

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

final as (
    select distinct group_key from selected_projects
    union
    select 'all' as group_key where $group_by = 'all'
)

select * from final
