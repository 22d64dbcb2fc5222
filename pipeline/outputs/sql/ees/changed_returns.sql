-- changed_returns: the LAs whose standing accepted return differs from the one the quarter's last
-- build used (run before the build records its own inputs): a return accepted since (late if it
-- arrived after the due date), one replaced by another, or one no longer standing. Empty when the
-- quarter was never built. received_at and due_date are London dates.
WITH used AS (
    SELECT la_code, submission_id FROM build_input WHERE quarter = $quarter
),
standing AS (
    SELECT la_code, submission_id FROM current_submission WHERE quarter = $quarter
)
SELECT coalesce(s.la_code, u.la_code) AS la_code, lq.la_name, lq.region_code,
       u.submission_id AS old_submission_id, s.submission_id AS new_submission_id,
       (l.received_at AT TIME ZONE 'Europe/London')::DATE AS received_on, q.due_date,
       (l.received_at AT TIME ZONE 'Europe/London')::DATE > q.due_date AS late
FROM standing AS s
FULL JOIN used AS u USING (la_code)
LEFT JOIN ledger AS l ON l.submission_id = s.submission_id
JOIN dim_quarter AS q ON q.quarter = $quarter
LEFT JOIN la_quarter AS lq ON lq.quarter = $quarter AND lq.la_code = coalesce(s.la_code, u.la_code)
WHERE s.submission_id IS DISTINCT FROM u.submission_id
  AND EXISTS (SELECT 1 FROM build_run WHERE quarter = $quarter)
ORDER BY 1
