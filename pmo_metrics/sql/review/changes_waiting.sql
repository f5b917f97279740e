-- The selected projects' change requests waiting for a decision at end(M) (raised by then, not
-- decided by then), oldest first, and those decided in M at an escalated level ($escalated_levels).

with

months as (
    {{ ref('kpis/months') }}
),

changes as (
    {{ ref('kpis/change_rows') }}
),

final as (
    select
        c.change_id,
        c.project_id,
        p.project_name,
        c.category,
        c.title,
        c.raised_date,
        c.decided_date,
        c.decision,
        c.decided_at,
        c.cost_impact,
        c.schedule_impact_days,
        date_diff('day', c.raised_date, m.month_end) as age_days,
        c.decided_date is null or c.decided_date > m.month_end as is_waiting,
        coalesce(c.decided_date >= m.month_start and c.decided_date <= m.month_end
                 and list_contains($escalated_levels::varchar[], c.decided_at), false) as escalated_in_month
    from months as m
    join changes as c on c.raised_date <= m.month_end
    join marts.projects as p on p.project_id = c.project_id
)

select * from final
where is_waiting or escalated_in_month
order by is_waiting desc, age_days desc, change_id
