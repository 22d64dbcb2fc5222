-- findings_by_code: per region, how often each finding code was raised on the standing (or
-- latest) return of each LA, with the cross-LA codes; for the national data-quality sheet.
WITH sub AS (
    SELECT m.region_code, max(g.submission_id) AS submission_id
    FROM mart_status AS m JOIN ledger AS g ON g.la_code = m.la_code AND g.sha256 = m.sha256 AND g.quarter = $quarter
    GROUP BY m.region_code, m.la_code
),
codes AS (
    SELECT s.region_code, f.code, f.severity FROM sub AS s JOIN fact_finding AS f USING (submission_id)
    UNION ALL
    SELECT region_code, code, 'query' FROM fact_cross_la WHERE quarter = $quarter
)
SELECT region_code, code, any_value(severity) AS severity, count(*) AS findings
FROM codes
GROUP BY ALL
ORDER BY region_code, code
