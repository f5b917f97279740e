-- marts.calendar: one row saying which months the data covers, for the default as-of month and the
-- month pickers. "Observed" months are those of things that happened (reports, bookings, actual
-- costs and benefit actuals, assessments), so planned future periods do not move the default.

with

report_months as (
    select max(report_date) as last_day, min(report_date) as first_day from status_reports
),

observed as (
    select max(report_date) as day from status_reports
    union all select max(work_date) from timesheets
    union all select max(strptime(period || '-01', '%Y-%m-%d')::date) from financials where actual_cost is not null
    union all select max(strptime(period || '-01', '%Y-%m-%d')::date) from benefit_measurements where actual_value is not null
    union all select max(assessment_date) from maturity_assessments
    union all select max(actual_date) from milestones
    union all select max(raised_date) from risks
),

planned as (
    select max(strptime(period || '-01', '%Y-%m-%d')::date) as day from financials
    union all select max(strptime(period || '-01', '%Y-%m-%d')::date) from benefit_measurements
    union all select max(strptime(period || '-01', '%Y-%m-%d')::date) from allocations
),

firsts as (
    select min(report_date) as day from status_reports
    union all select min(work_date) from timesheets
    union all select min(strptime(period || '-01', '%Y-%m-%d')::date) from financials
    union all select min(strptime(period || '-01', '%Y-%m-%d')::date) from benefit_measurements
    union all select min(assessment_date) from maturity_assessments
),

final as (
    select
        (select strftime(last_day, '%Y-%m') from report_months) as latest_report_month,
        (select strftime(max(day), '%Y-%m') from observed) as latest_observed_month,
        (select strftime(max(day), '%Y-%m') from planned) as latest_planned_month,
        (select strftime(min(day), '%Y-%m') from firsts) as first_month
)

select * from final
