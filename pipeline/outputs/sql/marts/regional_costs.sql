-- regional_costs: each region's LAs live and accepted and the total cost DfE collects
-- (MonthlyCosts, three months) this quarter, with England.
WITH live AS (
    SELECT region_code, count(*) AS las_live FROM la_quarter WHERE quarter = $quarter GROUP BY ALL
),
cost AS (
    SELECT l.region_code, count(*) AS las_accepted, round(sum(c.total_cost), 2) AS total_cost
    FROM la_quarter_cost AS c JOIN la_quarter AS l USING (la_code, quarter)
    WHERE c.quarter = $quarter GROUP BY ALL
)
SELECT
    CASE WHEN grouping(r.region_code) = 1 THEN 'E92000001' ELSE r.region_code END AS region_code,
    CASE WHEN grouping(r.region_code) = 1 THEN 'England' ELSE any_value(r.region_name) END AS region_name,
    sum(v.las_live)::INTEGER AS las_live, coalesce(sum(c.las_accepted), 0)::INTEGER AS las_accepted,
    coalesce(round(sum(c.total_cost), 2), 0) AS total_cost
FROM dim_region AS r
LEFT JOIN live AS v USING (region_code)
LEFT JOIN cost AS c USING (region_code)
GROUP BY GROUPING SETS ((r.region_code), ())
ORDER BY grouping(r.region_code), r.region_code
