-- rates_vs_cap: per region and role, the cap-basis rate distribution next to the cap in force on
-- the last day of the quarter (cap table named in cap_table_version).
WITH rates AS (
    SELECT region_code, role_category, count(*) AS assignments,
           round(median(cap_basis_rate), 2) AS median_rate, round(avg(cap_basis_rate), 2) AS mean_rate,
           round(quantile_cont(cap_basis_rate, 0.9), 2) AS p90_rate, round(max(cap_basis_rate), 2) AS max_rate
    FROM fact_assignment WHERE quarter = $quarter GROUP BY ALL
)
SELECT c.region_code, c.role_category, r.assignments, r.median_rate, r.mean_rate, r.p90_rate, r.max_rate,
       c.cap_gbp_per_hour AS cap, c.cap_table_version
FROM dim_cap AS c
JOIN dim_quarter AS q ON q.quarter = $quarter
JOIN dim_role AS o ON o.role_category = c.role_category
LEFT JOIN rates AS r ON r.region_code = c.region_code AND r.role_category = c.role_category
WHERE c.effective_from <= q.end_date AND (c.effective_to IS NULL OR c.effective_to >= q.end_date)
ORDER BY c.region_code, o.sort_order
