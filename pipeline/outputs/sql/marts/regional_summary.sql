-- regional_summary: per LA and role category (plus each LA's 'All roles', and the region's rows
-- with la_code 'ALL'): headcount (distinct workers), FTE (hours/37), median / mean / 90th
-- percentile cap-basis rate, share above cap, breaches, how many were signed off by someone who
-- may approve one (the DCS and/or Chief Executive) and how many were not, how many reported to the
-- RIIA, project-team share, cost of the assignments.
SELECT
    f.region_code,
    CASE WHEN grouping(f.la_code) = 1 THEN 'ALL' ELSE f.la_code END AS la_code,
    CASE WHEN grouping(f.la_code) = 1 THEN any_value(l.region_name) ELSE any_value(l.la_name) END AS la_name,
    CASE WHEN grouping(f.role_category) = 1 THEN 'All roles' ELSE f.role_category END AS role_category,
    count(DISTINCT f.swe_hash) AS headcount,
    count(*) AS assignments,
    round(sum(f.fte), 2) AS fte,
    round(median(f.cap_basis_rate), 2) AS median_rate,
    round(avg(f.cap_basis_rate), 2) AS mean_rate,
    round(quantile_cont(f.cap_basis_rate, 0.9), 2) AS p90_rate,
    round(avg(f.above_cap::INTEGER) FILTER (WHERE f.cap IS NOT NULL), 4) AS share_above_cap,
    count(*) FILTER (WHERE f.above_cap) AS breaches,
    count(*) FILTER (WHERE f.above_cap AND f.cap_signed_off) AS breaches_signed_off,
    count(*) FILTER (WHERE f.above_cap AND f.cap_signed_off IS NOT TRUE) AS breaches_not_signed_off,
    count(*) FILTER (WHERE f.above_cap AND f.cap_reported_to_riia = 'Yes') AS breaches_reported_riia,
    round(avg((f.engagement_model IN ('Project team', 'Packaged model'))::INTEGER), 4) AS project_team_share,
    round(sum(f.cost_in_quarter), 2) AS assignment_cost
FROM fact_assignment AS f
JOIN la_quarter AS l USING (la_code, quarter)
WHERE f.quarter = $quarter
GROUP BY GROUPING SETS ((f.region_code, f.la_code, f.role_category), (f.region_code, f.la_code),
                        (f.region_code, f.role_category), (f.region_code))
ORDER BY f.region_code, grouping(f.la_code), f.la_code, grouping(f.role_category),
         (SELECT sort_order FROM dim_role AS r WHERE r.role_category = f.role_category)
