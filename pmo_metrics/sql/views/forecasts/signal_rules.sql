-- The early-warning rules, shared by signal_months.sql (the forecasts as the extracts state them now)
-- and signal_months_known.sql (as the monthly snapshots said them at the time). Not a query of its
-- own: both include it after their import CTEs, which name
--   months           the months asked for ($months: those judged, $judged_months, and the ones before
--                    them the streaks are counted from, consecutive), kpis/months;
--   forecasts        kpis/project_forecasts over them;
--   known_months     per month: finish_known, gates_known — whether the finish forecasts and the
--                    milestones of that month are known (a snapshot stands for it);
--   known_finishes   per month and project: known_finish_date, the finish (forecast, else baseline)
--                    as known at the end of the month;
--   known_milestones per month: the milestones as known then (project_id, milestone_id,
--                    milestone_name, is_gate, baseline_date, forecast_date, actual_date).
-- Per month judged × project active then among the selected ones, with the numbers behind each:
--   SPI(t) falling: the falls of SPI(t) in a row ending at M ($falling_months or more fire);
--   optimism: the project's own finish earlier than the reference-class P50 by more than $optimism_days;
--   gate: a gate milestone not achieved by end(M), due within $gate_days after end(M), whose forecast
--         date differs from its baseline;
--   watermelon: green in the latest report of at least $green_months months running, while the report is
--         stale or SPI or CPI is below $index_floor.
-- The finish-slip signal reads the projects snapshots instead (signal_slips.sql).

ordered as (
    select
        *,
        project_spi_t < lag(project_spi_t) over by_month as is_falling,
        coalesce(overall_rag = 'green', false) as is_green
    from forecasts
    window by_month as (partition by project_id order by month)
),

islands as (
    -- a run of falls (or of green months) starts at a month that breaks the previous run
    select
        *,
        sum(case when coalesce(is_falling, false) then 0 else 1 end) over running as fall_island,
        sum(case when is_green then 0 else 1 end) over running as green_island
    from ordered
    window running as (partition by project_id order by month rows between unbounded preceding and current row)
),

streaks as (
    select
        *,
        row_number() over (partition by project_id, fall_island order by month) - 1 as falls_in_a_row,
        -- every island but the first opens with the month that was not green
        case when is_green
             then row_number() over (partition by project_id, green_island order by month)
                  - case when green_island > 0 then 1 else 0 end
             else 0 end as green_months,
        list(round(project_spi_t, 4)) over (partition by project_id order by month
                                            rows between $falling_months preceding and current row)
            as spi_t_trail
    from islands
),

gates as (
    select m.month, g.project_id, g.milestone_id, g.milestone_name, g.baseline_date, g.forecast_date,
           date_diff('day', g.baseline_date, g.forecast_date) as moved_days
    from months as m
    join known_milestones as g
        on g.month = m.month
       and g.is_gate
       and g.forecast_date is distinct from g.baseline_date
       and g.forecast_date is not null
       and (g.actual_date is null or g.actual_date > m.month_end)
       and coalesce(g.forecast_date, g.baseline_date) > m.month_end
       and coalesce(g.forecast_date, g.baseline_date) <= m.month_end + $gate_days::integer
),

nearest_gate as (
    select month, project_id,
           arg_min(milestone_name, coalesce(forecast_date, baseline_date)) as gate_name,
           arg_min(baseline_date, coalesce(forecast_date, baseline_date)) as gate_baseline_date,
           arg_min(forecast_date, coalesce(forecast_date, baseline_date)) as gate_forecast_date,
           arg_min(moved_days, coalesce(forecast_date, baseline_date)) as gate_moved_days
    from gates
    group by month, project_id
),

final as (
    select
        s.month,
        s.project_id,
        s.project_name,
        s.is_active,
        s.overall_rag,
        s.project_spi_t,
        s.falls_in_a_row,
        s.spi_t_trail,
        s.falls_in_a_row >= $falling_months as spi_t_falling,
        k.known_finish_date as current_finish_date,
        s.rcf_finish_p50,
        date_diff('day', k.known_finish_date, s.rcf_finish_p50) as optimism_days,
        coalesce(date_diff('day', k.known_finish_date, s.rcf_finish_p50) > $optimism_days, false)
            as optimistic_forecast,
        n.finish_known,
        g.gate_name,
        g.gate_baseline_date,
        g.gate_forecast_date,
        g.gate_moved_days,
        g.gate_name is not null as gate_moved,
        n.gates_known,
        s.green_months,
        s.is_stale,
        s.days_since_report,
        s.project_spi,
        s.project_cpi,
        s.green_months >= $green_months
            and (s.is_stale or s.project_spi < $index_floor or s.project_cpi < $index_floor) as watermelon
    from streaks as s
    join known_months as n using (month)
    left join known_finishes as k using (month, project_id)
    left join nearest_gate as g using (month, project_id)
    where s.is_active and list_contains($judged_months::varchar[], s.month)
)

select * from final
order by month, project_id
