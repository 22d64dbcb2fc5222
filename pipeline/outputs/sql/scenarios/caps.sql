-- caps: a cap scenario (data-contract §7) over the quarter's accepted assignments of the regions named
-- ($regions, codes), for each role given a candidate cap (src_candidate_caps: role_category, cap in
-- £/hour), from the shared measures (mart_assignment_measures: hours per week with blank as 37, days
-- active in the quarter). An assignment is above a cap when its cap-basis rate, in pence as the
-- warehouse's above_cap judges it, is over the cap; £ above the cap in the quarter =
-- Σ (cap-basis rate − cap) × hours per week × days active in the quarter ÷ 7. The same figures under
-- each assignment's own cap (the regional cap it was judged against), beside. One row per role in
-- total, per role and region, and per role, region and LA (`level`). Never writes anything.
WITH a AS (
    SELECT m.region_code, m.region_name, m.la_code, m.la_name, m.role_category,
           round(m.cap_basis_rate, 2) AS rate, m.hours_per_week_or_37 AS hours,
           m.days_active_in_quarter AS days, c.cap AS candidate, m.cap AS own_cap
    FROM mart_assignment_measures AS m
    JOIN src_candidate_caps AS c USING (role_category)
    WHERE list_contains($regions::VARCHAR[], m.region_code)
)
SELECT
    CASE WHEN grouping(region_code) = 1 THEN 'total' WHEN grouping(la_code) = 1 THEN 'region' ELSE 'la' END
        AS level,
    role_category, region_code, any_value(region_name) AS region_name, la_code, any_value(la_name) AS la_name,
    count(*) AS assignments,
    count(*) FILTER (WHERE rate > candidate) AS above,
    count(DISTINCT la_code) FILTER (WHERE rate > candidate) AS las_above,
    coalesce(sum((rate - candidate) * hours * days / 7.0) FILTER (WHERE rate > candidate), 0) AS excess_gbp,
    count(*) FILTER (WHERE rate > own_cap) AS own_above,
    count(DISTINCT la_code) FILTER (WHERE rate > own_cap) AS own_las_above,
    coalesce(sum((rate - own_cap) * hours * days / 7.0) FILTER (WHERE rate > own_cap), 0) AS own_excess_gbp
FROM a
GROUP BY GROUPING SETS ((role_category), (role_category, region_code), (role_category, region_code, la_code))
ORDER BY role_category, grouping(region_code) DESC, region_code, la_code
