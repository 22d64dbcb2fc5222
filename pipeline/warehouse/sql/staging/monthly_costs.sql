-- MonthlyCosts sheet -> fact_monthly_cost (month normalised to its first day).
SELECT
    s.submission_id::BIGINT AS submission_id, s.la_code, s.quarter,
    date_trunc('month', month)::DATE AS month, agency_headcount, worker_pay, agency_fees, msp_fees,
    project_team_other_costs, total_monthly_cost
FROM src_monthly_costs AS s
ORDER BY s.submission_id, s.month
