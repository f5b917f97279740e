-- The projects active at M ($as_of) whose latest overall RAG differs from the one at M − 1
-- ($previous; $months holds both), where both months have one.

with

project_rows as (
    {{ ref('kpis/project_rows') }}
),

this_month as (
    select * from project_rows where month = $as_of
),

last_month as (
    select project_id, overall_rag from project_rows where month = $previous
),

final as (
    select n.project_id, n.project_name, n.portfolio, b.overall_rag as "from", n.overall_rag as "to",
           n.report_date
    from this_month as n
    join last_month as b using (project_id)
    where n.is_active and n.overall_rag <> b.overall_rag
)

select * from final
order by project_id
