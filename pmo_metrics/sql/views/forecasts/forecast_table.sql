-- The forecast table: one row per project active at $as_of among the selected ones, with its earned
-- schedule and reference-class forecasts — the very rows the forecast KPIs sum (kpis/project_forecasts).

with

forecasts as (
    {{ ref('kpis/project_forecasts') }}
),

final as (
    select
        project_id,
        project_name,
        program,
        delivery_approach,
        start_date,
        baseline_finish_date,
        forecast_finish_date,
        current_finish_date,
        bac,
        ev,
        earned_schedule,
        actual_time,
        planned_months,
        project_spi_t,
        es_duration_months,
        class_kind,
        class_size,
        cost_class_size,
        rcf_finish_p50,
        rcf_finish_p80,
        optimism_days,
        rcf_cost_p80,
        rcf_cost_p80 - bac as cost_exposure_p80
    from forecasts
    where month = $as_of and is_active
)

select * from final
order by optimism_days desc nulls last, project_id
