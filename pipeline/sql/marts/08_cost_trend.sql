-- cost_trend: every LA's total monthly cost across all quarters held up to this one (accepted
-- returns), for the regional trend chart. $region (a region code, or NULL for all).
SELECT l.region_code, m.la_code, l.la_name, m.quarter, m.month, m.agency_headcount, m.total_monthly_cost
FROM fact_monthly_cost AS m
JOIN la_quarter AS l USING (la_code, quarter)
WHERE m.quarter <= $quarter AND ($region::VARCHAR IS NULL OR l.region_code = $region)
ORDER BY l.region_code, m.month, m.la_code
