-- cost_trend: every LA's total monthly cost across all quarters held up to this one (accepted
-- returns), for the regional trend chart. $region (a region code, or NULL for all).
-- las_reporting: how many LAs of the region each month's total covers; every_quarter: the LA
-- reported in every quarter the region's trend shows (the like-for-like line sums only those).
WITH m AS (
    SELECT l.region_code, m.la_code, l.la_name, m.quarter, m.month, m.agency_headcount, m.total_monthly_cost
    FROM fact_monthly_cost AS m
    JOIN la_quarter AS l USING (la_code, quarter)
    WHERE m.quarter <= $quarter AND ($region::VARCHAR IS NULL OR l.region_code = $region)
),
shown AS (
    SELECT region_code, count(DISTINCT quarter) AS quarters FROM m GROUP BY ALL
),
per_la AS (
    SELECT region_code, la_code, count(DISTINCT quarter) AS quarters FROM m GROUP BY ALL
)
SELECT m.*,
       count(*) OVER (PARTITION BY m.region_code, m.month) AS las_reporting,
       p.quarters = s.quarters AS every_quarter
FROM m
JOIN shown AS s USING (region_code)
JOIN per_la AS p USING (region_code, la_code)
ORDER BY m.region_code, m.month, m.la_code
