-- The governance KPIs of CONTRACT §3 per month and breakdown group: stage gates (gate milestones and
-- gate reviews) and change control (change requests). "No data is not zero": a KPI is empty where its
-- own input has no rows at all for the group (no gate milestone, no gate review in the window, no
-- change request); with rows present, a count or a sum over none of them is 0.

with

months as (
    {{ ref('kpis/months') }}
),

groups as (
    {{ ref('kpis/project_groups') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

gates as (
    {{ ref('kpis/gate_rows') }}
),

changes as (
    {{ ref('kpis/change_rows') }}
),

reviews as (
    select p.group_key, r.review_date, r.decision
    from gate_reviews as r
    join selected_projects as p using (project_id)
    where r.review_date is not null
),

windows as (
    select
        *,
        -- after end(M − 12), up to end(M); decided from the first day of M − 2 to end(M)
        month_start - to_months($gate_review_window_months - 1) as review_window_start,
        month_start - to_months($decision_window_months - 1) as decision_window_start,
        date_trunc('year', month_start)::date as year_start
    from months
),

has_input as (
    select
        g.group_key,
        exists (select 1 from gates as x where x.group_key is not distinct from g.group_key) as has_gates,
        exists (select 1 from changes as x where x.group_key is not distinct from g.group_key) as has_changes
    from groups as g
),

gate_totals as (
    select
        m.month,
        g.group_key,
        count(x.baseline_date) as gates_due,
        -- due by end(M) and met by its baseline date: then it was met by end(M) too
        count(*) filter (where x.actual_date <= x.baseline_date) as gates_on_time,
        count(x.baseline_date) filter (where x.actual_date is null or x.actual_date > m.month_end) as gates_open
    from windows as m
    cross join groups as g
    left join gates as x
        on x.group_key is not distinct from g.group_key and x.baseline_date <= m.month_end
    group by m.month, g.group_key
),

review_totals as (
    select
        m.month,
        g.group_key,
        count(r.review_date) as gate_reviews,
        count(*) filter (where list_contains($approving_gate_decisions::varchar[], r.decision)) as gate_reviews_approved
    from windows as m
    cross join groups as g
    left join reviews as r
        on r.group_key is not distinct from g.group_key
       and r.review_date >= m.review_window_start and r.review_date <= m.month_end
    group by m.month, g.group_key
),

change_totals as (
    select
        m.month,
        g.group_key,
        count(*) filter (where x.raised_date <= m.month_end
                         and (x.decided_date is null or x.decided_date > m.month_end)) as open_changes,
        count(*) filter (where x.decided_date >= m.decision_window_start
                         and x.decided_date <= m.month_end) as decisions_in_window,
        count(*) filter (where x.decided_date >= m.decision_window_start and x.decided_date <= m.month_end
                         and list_contains($escalated_levels::varchar[], x.decided_at)) as escalated_decisions,
        avg(date_diff('day', x.raised_date, x.decided_date)) filter (
            where x.decided_date >= m.decision_window_start and x.decided_date <= m.month_end) as decision_cycle_days,
        coalesce(sum(coalesce(x.cost_impact, 0)) filter (
            where x.decision = 'approved' and x.decided_date >= m.year_start and x.decided_date <= m.month_end), 0)
            as approved_cost_ytd,
        coalesce(sum(coalesce(x.schedule_impact_days, 0)) filter (
            where x.decision = 'approved' and x.decided_date >= m.year_start and x.decided_date <= m.month_end), 0)
            as approved_schedule_days_ytd,
        count(*) filter (where x.decision = 'approved' and x.decided_date >= m.year_start
                         and x.decided_date <= m.month_end) as approved_changes_ytd
    from windows as m
    cross join groups as g
    left join changes as x
        on x.group_key is not distinct from g.group_key and x.raised_date <= m.month_end
    group by m.month, g.group_key
),

final as (
    select
        t.month,
        t.group_key,
        t.gates_due,
        t.gates_on_time,
        r.gate_reviews,
        r.gate_reviews_approved,
        c.decisions_in_window,
        c.escalated_decisions,
        case when h.has_changes then c.approved_changes_ytd end as approved_changes_ytd,
        case when h.has_changes then c.approved_schedule_days_ytd end as approved_schedule_days_ytd,
        t.gates_on_time / nullif(t.gates_due, 0) as gate_on_time_rate,
        case when h.has_gates then t.gates_open end as gates_overdue,
        r.gate_reviews_approved / nullif(r.gate_reviews, 0) as gate_approval_rate,
        case when h.has_changes then c.open_changes end as open_change_requests,
        c.decision_cycle_days,
        c.escalated_decisions / nullif(c.decisions_in_window, 0) as escalated_decision_share,
        case when h.has_changes then c.approved_cost_ytd end as approved_change_cost_ytd
    from gate_totals as t
    join review_totals as r on r.month = t.month and r.group_key is not distinct from t.group_key
    join change_totals as c on c.month = t.month and c.group_key is not distinct from t.group_key
    join has_input as h on h.group_key is not distinct from t.group_key
)

select * from final
order by month, group_key
