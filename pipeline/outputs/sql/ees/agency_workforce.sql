-- agency_workforce: the quarter's figures for DfE's Explore Education Statistics file (data-contract
-- section 7), before disclosure control (pipeline/outputs/ees.py applies it and DfE's symbols): one
-- row per place (England, each region, each LA live in the quarter) and role category ('Total' for
-- all roles), counted from the shared per-assignment measures (mart_assignment_measures), with the
-- agency rate of the workforce mart (mart_workforce: agency FTE at quarter end against the census).
-- has_return: an accepted return stands for the LA (for a region or England: for one of its LAs). Units: FTE; £/hour
-- (cap-basis rates); £ (cost); % (agency rate, share above cap, project-team cost share).
WITH a AS (
    SELECT * FROM mart_assignment_measures
),
accepted AS (
    SELECT DISTINCT la_code FROM current_submission WHERE quarter = $quarter
),
las AS (
    SELECT l.*, l.la_code IN (SELECT la_code FROM accepted) AS has_return
    FROM la_quarter AS l WHERE l.quarter = $quarter
),
places AS (
    SELECT 'Local authority' AS geographic_level, region_code, region_name, gss_code AS new_la_code,
           la_code AS old_la_code, la_name, has_return
    FROM las
    UNION ALL
    SELECT 'Regional', r.region_code, r.region_name, NULL, NULL, NULL,
           coalesce((SELECT bool_or(has_return) FROM las WHERE las.region_code = r.region_code), false)
    FROM dim_region AS r
    UNION ALL
    SELECT 'National', NULL, NULL, NULL, NULL, NULL, coalesce((SELECT bool_or(has_return) FROM las), false)
),
roles AS (
    SELECT role_category, sort_order FROM dim_role
    UNION ALL
    SELECT 'Total', 0
),
counted AS (
    SELECT
        CASE WHEN grouping(region_code) = 1 THEN 'National'
             WHEN grouping(la_code) = 1 THEN 'Regional' ELSE 'Local authority' END AS geographic_level,
        region_code, la_code,
        CASE WHEN grouping(role_category) = 1 THEN 'Total' ELSE role_category END AS role_category,
        count(DISTINCT swe_hash) FILTER (WHERE active_at_quarter_end) AS agency_headcount_quarter_end,
        coalesce(sum(fte) FILTER (WHERE active_at_quarter_end), 0) AS agency_fte_quarter_end,
        count(*) AS assignments,
        median(cap_basis_rate) AS median_cap_basis_rate,
        avg(cap_basis_rate) AS mean_cap_basis_rate,
        100 * avg(above_cap::INTEGER) FILTER (WHERE cap IS NOT NULL) AS share_above_cap,
        coalesce(sum(cost_in_quarter), 0) AS cost_in_quarter,
        100 * coalesce(sum(cost_in_quarter) FILTER (WHERE engagement_model IN ('Project team', 'Packaged model')), 0)
            / nullif(sum(cost_in_quarter), 0) AS project_team_cost_share
    FROM a
    GROUP BY GROUPING SETS ((region_code, la_code, role_category), (region_code, la_code),
                            (region_code, role_category), (region_code), (role_category), ())
),
-- the agency rate as the workforce mart defines it (data-contract section 7; per LA, region 'ALL',
-- England 'E92000001' 'ALL'), for all roles only
rates AS (
    SELECT CASE WHEN region_code = 'E92000001' THEN 'National'
                WHEN la_code = 'ALL' THEN 'Regional' ELSE 'Local authority' END AS geographic_level,
           CASE WHEN region_code = 'E92000001' THEN NULL ELSE region_code END AS region_code,
           CASE WHEN la_code = 'ALL' THEN NULL ELSE la_code END AS la_code,
           'Total' AS role_category, agency_rate
    FROM mart_workforce
)
SELECT p.geographic_level, p.region_code, p.region_name, p.new_la_code, p.old_la_code, p.la_name,
       r.role_category, p.has_return,
       coalesce(c.agency_headcount_quarter_end, 0) AS agency_headcount_quarter_end,
       coalesce(c.agency_fte_quarter_end, 0) AS agency_fte_quarter_end,
       t.agency_rate,
       coalesce(c.assignments, 0) AS assignments,
       c.median_cap_basis_rate, c.mean_cap_basis_rate, c.share_above_cap,
       coalesce(c.cost_in_quarter, 0) AS cost_in_quarter,
       c.project_team_cost_share
FROM places AS p
CROSS JOIN roles AS r
LEFT JOIN counted AS c
  ON c.geographic_level = p.geographic_level AND c.region_code IS NOT DISTINCT FROM p.region_code
 AND c.la_code IS NOT DISTINCT FROM p.old_la_code AND c.role_category = r.role_category
LEFT JOIN rates AS t
  ON t.geographic_level = p.geographic_level AND t.region_code IS NOT DISTINCT FROM p.region_code
 AND t.la_code IS NOT DISTINCT FROM p.old_la_code AND t.role_category = r.role_category
ORDER BY CASE p.geographic_level WHEN 'National' THEN 0 WHEN 'Regional' THEN 1 ELSE 2 END,
         p.region_code NULLS FIRST, p.old_la_code NULLS FIRST, r.sort_order
