-- marts.reference_classes: per month and delivery approach, the reference class a forecast made as
-- of that month draws on (CONTRACT §6, Flyvbjerg's method, from the organisation's own record), with
-- the quantiles of its ratios. The class is every selectable project (filters do not apply) with
-- actual_finish_date ≤ end(M) and baseline_finish_date > start_date, of the same approach; fewer than
-- $reference_class_min of those: all approaches together (class_kind 'all'); fewer than that in all:
-- no row, so no forecast. Schedule ratio r = actual duration / baseline duration (days); cost ratio
-- c = Σ actual_cost with period ≤ M / BAC over members with BAC > 0 and an actual_cost by M (no
-- hindsight). Months run from the first finish to the last finish or actual cost; a later month
-- reads the last row (is_last): nothing the class is made of changes after it.

with

finished as (
    select
        project_id,
        delivery_approach,
        actual_finish_date,
        budget_at_completion,
        date_diff('day', start_date, actual_finish_date)
            / date_diff('day', start_date, baseline_finish_date) as schedule_ratio
    from marts.projects
    where is_selectable
      and actual_finish_date is not null
      and baseline_finish_date > start_date
),

approaches as (
    select distinct delivery_approach from marts.projects where delivery_approach is not null
),

costs as (
    select
        project_id,
        period_start,
        actual_cost_to_date,
        count(actual_cost) over (partition by project_id order by period_start
                                 rows between unbounded preceding and current row) as actual_periods
    from marts.project_costs
),

extent as (
    select
        date_trunc('month', min(actual_finish_date))::date as first_month,
        greatest(date_trunc('month', max(actual_finish_date)),
                 (select max(period_start) from marts.project_costs where actual_cost is not null))::date
            as last_month
    from finished
),

months as (
    select g.month_start::date as month_start, last_day(g.month_start::date) as month_end,
           g.month_start::date = e.last_month as is_last
    from extent as e,
         generate_series(e.first_month, e.last_month, interval 1 month) as g(month_start)
),

members as (
    select m.month_start, m.month_end, m.is_last, f.*
    from months as m
    join finished as f on f.actual_finish_date <= m.month_end
),

with_cost as (
    select
        m.*,
        case when m.budget_at_completion > 0 and k.actual_periods > 0
             then k.actual_cost_to_date / m.budget_at_completion end as cost_ratio
    from members as m
    asof left join costs as k
        on k.project_id = m.project_id and k.period_start <= m.month_start
),

stats as (
    select
        month_start,
        grouping(delivery_approach) = 1 as is_every_approach,
        delivery_approach,
        count(*) as class_size,
        quantile_cont(schedule_ratio, $rcf_p50) as schedule_ratio_p50,
        quantile_cont(schedule_ratio, $rcf_p80) as schedule_ratio_p80,
        count(cost_ratio) as cost_class_size,
        quantile_cont(cost_ratio, $rcf_p80) as cost_ratio_p80
    from with_cost
    group by grouping sets ((month_start, delivery_approach), (month_start))
),

chosen as (
    -- the approach's own class when it is large enough, else every approach's together
    select
        m.month_start,
        m.is_last,
        a.delivery_approach,
        case when own.class_size >= $reference_class_min then 'approach'
             when every_approach.class_size >= $reference_class_min then 'all' end as class_kind,
        own.class_size >= $reference_class_min as use_own,
        every_approach.class_size >= $reference_class_min as use_every
    from months as m
    cross join approaches as a
    left join stats as own
        on own.month_start = m.month_start and not own.is_every_approach
       and own.delivery_approach = a.delivery_approach
    left join stats as every_approach
        on every_approach.month_start = m.month_start and every_approach.is_every_approach
),

final as (
    select
        c.month_start,
        c.is_last,
        c.delivery_approach,
        c.class_kind,
        s.class_size,
        s.schedule_ratio_p50,
        s.schedule_ratio_p80,
        s.cost_class_size,
        s.cost_ratio_p80
    from chosen as c
    join stats as s
        on s.month_start = c.month_start
       and (case when coalesce(c.use_own, false)
                 then not s.is_every_approach and s.delivery_approach = c.delivery_approach
                 else s.is_every_approach end)
    where c.class_kind is not null
)

select * from final
order by month_start, delivery_approach
