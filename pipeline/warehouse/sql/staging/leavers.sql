-- Leavers sheet (SWE number already replaced by swe_hash) -> fact_leaver, for X602.
SELECT
    s.submission_id::BIGINT AS submission_id, s.la_code, s.quarter, s.region_code,
    swe_hash, date_left::DATE AS date_left, reason
FROM src_leavers AS s
WHERE swe_hash IS NOT NULL
ORDER BY s.submission_id, s.row
