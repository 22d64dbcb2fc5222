-- status: every LA live in the quarter and where its return stands. status is 'accepted' when an
-- accepted return stands (even if a later file was rejected), else the latest file's status, else
-- 'missing'. late: the standing (or, if none, the latest) return arrived after the due date
-- (due_date: end of the second month after the quarter, London time), or nothing has arrived and it is past due.
WITH subs AS (
    SELECT * FROM ledger WHERE quarter = $quarter
),
latest AS (
    SELECT * FROM subs QUALIFY row_number() OVER (PARTITION BY la_code ORDER BY received_at DESC, submission_id DESC) = 1
),
counts AS (
    SELECT la_code, count(*) AS submissions, min(received_at) AS first_received_at
    FROM subs GROUP BY la_code
),
standing AS (
    SELECT l.* FROM current_submission AS c JOIN ledger AS l USING (submission_id) WHERE c.quarter = $quarter
)
SELECT
    lq.region_code, lq.region_name, lq.la_code, lq.la_name, lq.gss_code, $quarter AS quarter,
    CASE WHEN s.submission_id IS NOT NULL THEN 'accepted' ELSE coalesce(t.status, 'missing') END AS status,
    t.submission_id IS NOT NULL AS submitted,
    CASE WHEN coalesce(s.received_at, t.received_at) IS NOT NULL
         THEN (coalesce(s.received_at, t.received_at) AT TIME ZONE 'Europe/London')::DATE > q.due_date
         ELSE ($now::TIMESTAMPTZ AT TIME ZONE 'Europe/London')::DATE > q.due_date END AS late,
    q.due_date,
    coalesce(n.submissions, 0) AS submissions,
    t.received_at AS last_submission_at,
    t.status AS last_submission_status,
    s.received_at AS accepted_at,
    coalesce(s.errors, t.errors) AS errors,
    coalesce(s.queries, t.queries) AS queries,
    coalesce(s.queries_outstanding, t.queries_outstanding) AS queries_outstanding,
    coalesce(s.sha256, t.sha256) AS sha256,
    coalesce(s.cap_table_version, t.cap_table_version) AS cap_table_version
FROM la_quarter AS lq
JOIN dim_quarter AS q USING (quarter)
LEFT JOIN latest AS t ON t.la_code = lq.la_code
LEFT JOIN standing AS s ON s.la_code = lq.la_code
LEFT JOIN counts AS n ON n.la_code = lq.la_code
WHERE lq.quarter = $quarter
ORDER BY lq.region_code, lq.la_code
