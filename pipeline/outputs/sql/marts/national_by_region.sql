-- national_by_region: England by region and role (with 'All roles' and England rows): counts of
-- workers and assignments, FTE, rates, breaches, assignment cost. Published after disclosure
-- control (pipeline/outputs/disclosure.py).
SELECT
    CASE WHEN grouping(f.region_code) = 1 THEN 'E92000001' ELSE f.region_code END AS region_code,
    CASE WHEN grouping(f.region_code) = 1 THEN 'England' ELSE any_value(r.region_name) END AS region_name,
    CASE WHEN grouping(f.role_category) = 1 THEN 'All roles' ELSE f.role_category END AS role_category,
    count(DISTINCT f.swe_hash) AS headcount,
    count(*) AS assignments,
    round(sum(f.fte), 1) AS fte,
    round(median(f.cap_basis_rate), 2) AS median_rate,
    round(quantile_cont(f.cap_basis_rate, 0.9), 2) AS p90_rate,
    count(*) FILTER (WHERE f.above_cap) AS breaches,
    round(sum(f.cost_in_quarter), 2) AS assignment_cost
FROM fact_assignment AS f
JOIN dim_region AS r USING (region_code)
WHERE f.quarter = $quarter
GROUP BY GROUPING SETS ((f.region_code, f.role_category), (f.region_code), (f.role_category), ())
ORDER BY grouping(f.region_code), f.region_code, grouping(f.role_category),
         (SELECT sort_order FROM dim_role AS o WHERE o.role_category = f.role_category)
