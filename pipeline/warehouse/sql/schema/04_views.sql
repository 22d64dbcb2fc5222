-- The LA as it stood in each quarter: the latest dated row live during the quarter (a GSS code
-- can change mid-quarter, e.g. Barnsley and Sheffield on 1 May 2025).
CREATE OR REPLACE VIEW la_quarter AS
SELECT q.quarter, l.la_code, l.gss_code, l.la_name, l.region_code, r.region_name
FROM dim_quarter AS q
JOIN dim_la AS l
  ON (l.valid_from IS NULL OR l.valid_from <= q.end_date)
 AND (l.valid_to IS NULL OR l.valid_to >= q.start_date)
JOIN dim_region AS r USING (region_code)
QUALIFY row_number() OVER (PARTITION BY q.quarter, l.la_code ORDER BY l.valid_from DESC NULLS LAST) = 1;

-- Each LA-quarter's cost as DfE collects it: the three months of MonthlyCosts added up.
CREATE OR REPLACE VIEW la_quarter_cost AS
SELECT la_code, quarter, sum(total_monthly_cost) AS total_cost, count(*) AS months
FROM fact_monthly_cost
GROUP BY la_code, quarter;

-- Every submission and where it stands now: 'accepted' for the return that stands for its LA and
-- quarter, 'superseded' for an accepted return a later one replaced, else as judged (rejected, unreadable).
CREATE OR REPLACE VIEW submission_history AS
SELECT l.*,
       CASE WHEN l.status = 'accepted' AND c.submission_id IS NULL THEN 'superseded' ELSE l.status END AS standing
FROM ledger AS l
LEFT JOIN current_submission AS c ON c.submission_id = l.submission_id;
