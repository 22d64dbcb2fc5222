-- Per LA: whether its standing accepted return differs from the one the quarter's published outputs
-- were built from (resubmitted, or accepted for the first time, since the last build). Empty when
-- the quarter's outputs were never built.
WITH built AS (
    SELECT max(built_at) AS built_at FROM build_run WHERE quarter = $quarter
),
used AS (
    SELECT la_code, submission_id FROM build_input WHERE quarter = $quarter
      AND built_at = (SELECT built_at FROM built)
),
now_standing AS (
    SELECT la_code, submission_id FROM current_submission WHERE quarter = $quarter
)
SELECT coalesce(n.la_code, u.la_code) AS la_code, (SELECT built_at FROM built) AS outputs_built_at,
       n.submission_id IS DISTINCT FROM u.submission_id AS changed_since_build
FROM now_standing AS n
FULL JOIN used AS u USING (la_code)
WHERE (SELECT built_at FROM built) IS NOT NULL
