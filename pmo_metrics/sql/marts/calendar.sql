-- marts.calendar: one row saying which months the data covers, for the default as-of month and the
-- month pickers. "Observed" months are those of things that happened (reports, bookings, actual
-- costs and benefit actuals, assessments), so planned future periods do not move the default. Only
-- what happened on or before the load date counts: a report dated 2062 by a typo (STS-FUTURE-REPORT)
-- must not make 2062 the default month. $load_date is null for a database built outside a load.

with

load_day as (
    select coalesce($load_date::date, date '9999-12-31') as day
),

report_months as (
    select max(report_date) as last_day, min(report_date) as first_day from status_reports
    where report_date <= (select day from load_day)
),

observed as (
    select max(report_date) as day from status_reports where report_date <= (select day from load_day)
    union all select max(work_date) from timesheets where work_date <= (select day from load_day)
    union all select max(strptime(period || '-01', '%Y-%m-%d')::date) from financials
    where actual_cost is not null and strptime(period || '-01', '%Y-%m-%d')::date <= (select day from load_day)
    union all select max(strptime(period || '-01', '%Y-%m-%d')::date) from benefit_measurements
    where actual_value is not null and strptime(period || '-01', '%Y-%m-%d')::date <= (select day from load_day)
    union all select max(assessment_date) from maturity_assessments where assessment_date <= (select day from load_day)
    union all select max(actual_date) from milestones where actual_date <= (select day from load_day)
    union all select max(raised_date) from risks where raised_date <= (select day from load_day)
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
