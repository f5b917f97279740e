-- The active projects at M ($as_of) ranked by the size of their variance at completion
-- (|BAC − EAC|, else the size of their spend variance AC − PV), with both: the project table's
-- own per-project figures. The first $limit.

with

project_table as (
    {{ ref('kpis/project_table') }}
),

active as (
    select *, ac - pv as spend_variance from project_table where active
),

final as (
    select project_id, project_name, portfolio, overall_rag, bac, eac, vac, pv, ac, spend_variance, cpi,
           coalesce(abs(vac), abs(spend_variance)) as size
    from active
)

select * exclude (size) from final
order by size desc, project_id
limit $limit
