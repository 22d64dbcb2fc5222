-- benchmark: each LA with an accepted return beside its region and England, by role category (and
-- 'All roles'): median cap-basis rate (£/hour), share of assignments above cap (% of those with a
-- cap), agency FTE at quarter end, cost per agency FTE (£ of cost in the quarter per FTE-quarter:
-- FTE x days active / days in the quarter), the agency rate (% , 'All roles' only: the census has
-- no roles; from mart_workforce) and the LA's rank in its region (1 = the highest; of las_ranked).
-- Disclosure: an LA x role cell of one or two workers would show their pay, so its median rate, share
-- above cap and cost per FTE are left out (NULL, suppressed true; shown as 'c'); ranks stay.
WITH q AS (
    SELECT date_diff('day', start_date, end_date) + 1 AS days FROM dim_quarter WHERE quarter = $quarter
),
levels AS (
    SELECT CASE WHEN grouping(m.region_code) = 1 THEN 'E92000001' ELSE m.region_code END AS region_code,
           CASE WHEN grouping(m.la_code) = 1 THEN 'ALL' ELSE m.la_code END AS la_code,
           CASE WHEN grouping(m.role_category) = 1 THEN 'All roles' ELSE m.role_category END AS role_category,
           count(DISTINCT m.swe_hash) AS workers,
           median(m.cap_basis_rate) AS median_rate,
           100 * avg(m.above_cap::INTEGER) FILTER (WHERE m.cap IS NOT NULL) AS share_above_cap_pct,
           coalesce(sum(m.fte) FILTER (WHERE m.active_at_quarter_end), 0) AS agency_fte_quarter_end,
           sum(m.cost_in_quarter) / nullif(sum(m.fte * m.days_active_in_quarter / (SELECT days FROM q)), 0)
               AS cost_per_agency_fte
    FROM mart_assignment_measures AS m
    GROUP BY GROUPING SETS ((m.region_code, m.la_code, m.role_category), (m.region_code, m.la_code),
                            (m.region_code, m.role_category), (m.region_code), (m.role_category), ())
),
rates AS (
    SELECT region_code, la_code, 'All roles' AS role_category, agency_rate FROM mart_workforce
),
la AS (
    SELECT g.*, r.agency_rate,
           rank() OVER (PARTITION BY g.region_code, g.role_category ORDER BY g.median_rate DESC) AS median_rate_rank,
           CASE WHEN r.agency_rate IS NOT NULL THEN rank() OVER (
               PARTITION BY g.region_code, g.role_category, r.agency_rate IS NULL ORDER BY r.agency_rate DESC) END
               AS agency_rate_rank,
           count(*) OVER (PARTITION BY g.region_code, g.role_category) AS las_ranked
    FROM levels AS g
    LEFT JOIN rates AS r USING (region_code, la_code, role_category)
    WHERE g.la_code <> 'ALL'
)
SELECT la.region_code, la.la_code, l.la_name, la.role_category, la.workers, la.workers <= 2 AS suppressed,
       CASE WHEN la.workers > 2 THEN round(la.median_rate, 2) END AS median_rate, round(rg.median_rate, 2) AS region_median_rate,
       round(en.median_rate, 2) AS england_median_rate,
       CASE WHEN la.workers > 2 THEN round(la.share_above_cap_pct, 1) END AS share_above_cap_pct,
       round(rg.share_above_cap_pct, 1) AS region_share_above_cap_pct,
       round(en.share_above_cap_pct, 1) AS england_share_above_cap_pct,
       round(la.agency_fte_quarter_end, 2) AS agency_fte_quarter_end,
       round(rg.agency_fte_quarter_end, 2) AS region_agency_fte_quarter_end,
       round(en.agency_fte_quarter_end, 2) AS england_agency_fte_quarter_end,
       la.agency_rate, rr.agency_rate AS region_agency_rate, er.agency_rate AS england_agency_rate,
       CASE WHEN la.workers > 2 THEN round(la.cost_per_agency_fte, 2) END AS cost_per_agency_fte,
       round(rg.cost_per_agency_fte, 2) AS region_cost_per_agency_fte,
       round(en.cost_per_agency_fte, 2) AS england_cost_per_agency_fte,
       la.median_rate_rank, la.agency_rate_rank, la.las_ranked
FROM la
JOIN la_quarter AS l ON l.quarter = $quarter AND l.la_code = la.la_code
JOIN levels AS rg ON rg.region_code = la.region_code AND rg.la_code = 'ALL' AND rg.role_category = la.role_category
JOIN levels AS en ON en.region_code = 'E92000001' AND en.role_category = la.role_category
LEFT JOIN rates AS rr ON rr.region_code = la.region_code AND rr.la_code = 'ALL' AND rr.role_category = la.role_category
LEFT JOIN rates AS er ON er.region_code = 'E92000001' AND er.la_code = 'ALL' AND er.role_category = la.role_category
ORDER BY la.region_code, la.la_code, la.role_category = 'All roles',
         (SELECT sort_order FROM dim_role AS r WHERE r.role_category = la.role_category)
