-- The projects behind the backtest (rcf_p80_coverage) as of $as_of: each finished project of the window
-- with the P80 finish its reference class gave before it started, and whether it held.

with

backtest as (
    {{ ref('kpis/rcf_backtest') }}
),

final as (
    select project_id, start_date, baseline_finish_date, actual_finish_date, class_kind, class_size,
           rcf_finish_p80, covered,
           date_diff('day', rcf_finish_p80, actual_finish_date) as days_beyond_p80
    from backtest
    where month = $as_of
)

select * from final
order by covered, days_beyond_p80 desc, project_id
