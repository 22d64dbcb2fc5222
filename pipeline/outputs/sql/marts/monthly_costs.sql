-- monthly_costs: the LA level cost of the DfE return, one row per LA and month of the quarter.
SELECT l.region_code, m.la_code, l.la_name, m.quarter, m.month, m.agency_headcount, m.worker_pay,
       m.agency_fees, m.msp_fees, m.project_team_other_costs, m.total_monthly_cost
FROM fact_monthly_cost AS m
JOIN la_quarter AS l USING (la_code, quarter)
WHERE m.quarter = $quarter
ORDER BY m.la_code, m.month
