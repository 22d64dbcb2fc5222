-- data_quality: per region (and England), where returns stand and how many findings they carry:
-- built on the status mart (mart_status, run before this one) and the findings of each LA's
-- standing or latest submission.
WITH latest AS (
    SELECT la_code, sha256 FROM mart_status WHERE submitted
),
sub AS (
    SELECT l.la_code, max(g.submission_id) AS submission_id
    FROM latest AS l JOIN ledger AS g ON g.la_code = l.la_code AND g.sha256 = l.sha256 AND g.quarter = $quarter
    GROUP BY ALL
),
found AS (
    SELECT s.la_code,
           count(*) FILTER (WHERE f.severity = 'error') AS errors,
           count(*) FILTER (WHERE f.severity = 'query') AS queries,
           count(*) FILTER (WHERE f.severity = 'query' AND NOT f.explained) AS queries_outstanding
    FROM sub AS s JOIN fact_finding AS f USING (submission_id) GROUP BY ALL
),
cross_la AS (
    SELECT la_code, count(*) FILTER (WHERE code = 'X601') AS x601, count(*) FILTER (WHERE code = 'X602') AS x602
    FROM fact_cross_la WHERE quarter = $quarter GROUP BY ALL
)
SELECT
    CASE WHEN grouping(m.region_code) = 1 THEN 'E92000001' ELSE m.region_code END AS region_code,
    CASE WHEN grouping(m.region_code) = 1 THEN 'England' ELSE any_value(m.region_name) END AS region_name,
    count(*) AS las_live,
    count(*) FILTER (WHERE m.submitted) AS submitted,
    count(*) FILTER (WHERE m.status = 'accepted') AS accepted,
    count(*) FILTER (WHERE m.status = 'rejected') AS rejected,
    count(*) FILTER (WHERE m.status = 'unreadable') AS unreadable,
    count(*) FILTER (WHERE m.status = 'missing') AS missing,
    count(*) FILTER (WHERE m.late) AS late,
    coalesce(sum(f.errors), 0)::INTEGER AS errors,
    coalesce(sum(f.queries), 0)::INTEGER AS queries,
    coalesce(sum(f.queries_outstanding), 0)::INTEGER AS queries_outstanding,
    coalesce(sum(x.x601), 0)::INTEGER AS x601,
    coalesce(sum(x.x602), 0)::INTEGER AS x602
FROM mart_status AS m
LEFT JOIN found AS f USING (la_code)
LEFT JOIN cross_la AS x USING (la_code)
GROUP BY GROUPING SETS ((m.region_code), ())
ORDER BY grouping(m.region_code), m.region_code
