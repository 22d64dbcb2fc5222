-- dfe_assignments: the assignment level of the DfE return (the SWE number itself is added from the
-- kept raw file only when each LA's own return is written; this table never holds it).
SELECT
    f.region_code, f.la_code, f.quarter, f.excel_row, f.assignment_ref, f.role_category,
    f.hourly_pay_rate, f.start_date, f.end_date, f.engagement_model,
    f.engagement_model IN ('Project team', 'Packaged model') AS project_team_or_packaged,
    f.project_team_ref, f.payment_route, f.end_reason, f.reference_provided,
    f.cap_basis_rate, f.cap, f.above_cap, f.cost_in_quarter
FROM fact_assignment AS f
WHERE f.quarter = $quarter
ORDER BY f.la_code, f.excel_row
