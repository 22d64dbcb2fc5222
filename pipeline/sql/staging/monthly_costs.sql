-- MonthlyCosts sheet -> fact_monthly_cost (month normalised to its first day).
SELECT
    $submission_id::BIGINT AS submission_id, $la_code AS la_code, $quarter AS quarter,
    date_trunc('month', month)::DATE AS month, agency_headcount, worker_pay, agency_fees, msp_fees,
    project_team_other_costs, total_monthly_cost
FROM src_monthly_costs
ORDER BY month
