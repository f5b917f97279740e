-- How much of each input of the KPIs the loaded data holds, over every project (not the filters'
-- selection): rows of a table, or the filled values of one column of it. A figure whose input has
-- none reads "no data" with the reason, never 0 (CONTRACT §3, "No data is not zero").

with
projects as (select count(*) as n from main.projects),
status_reports as (select count(*) as n, count(percent_complete) as progress from main.status_reports),
financials as (select count(planned_cost) as planned, count(actual_cost) as actual from main.financials),
milestones as (select count(*) as n from main.milestones),
risks as (select count(*) as n from main.risks),
resources as (select count(*) as n from main.resources),
allocations as (select count(*) as n from main.allocations),
timesheets as (select count(*) as n from main.timesheets),
benefits as (select count(*) as n from main.benefits),
benefit_measurements as (select count(*) as n from main.benefit_measurements),
maturity_assessments as (select count(*) as n from main.maturity_assessments),
gate_milestones as (select count(*) filter (where is_gate) as n from main.milestones),
gate_reviews as (select count(*) as n from main.gate_reviews),
change_requests as (select count(*) as n from main.change_requests),
pmo_costs as (select count(actual_cost) as n from main.pmo_costs)

select
    projects.n as projects,
    status_reports.n as status_reports,
    status_reports.progress as progress,
    financials.planned as planned_costs,
    financials.actual as actual_costs,
    milestones.n as milestones,
    risks.n as risks,
    resources.n as resources,
    allocations.n as allocations,
    timesheets.n as timesheets,
    benefits.n as benefits,
    benefit_measurements.n as benefit_measurements,
    maturity_assessments.n as maturity,
    gate_milestones.n as gate_milestones,
    gate_reviews.n as gate_reviews,
    change_requests.n as change_requests,
    pmo_costs.n as pmo_costs
from projects, status_reports, financials, milestones, risks, resources, allocations, timesheets, benefits,
    benefit_measurements, maturity_assessments, gate_milestones, gate_reviews, change_requests, pmo_costs
