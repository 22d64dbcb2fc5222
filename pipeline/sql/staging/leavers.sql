-- Leavers sheet (SWE number already replaced by swe_hash) -> fact_leaver, for X602.
SELECT
    $submission_id::BIGINT AS submission_id, $la_code AS la_code, $quarter AS quarter, $region_code AS region_code,
    swe_hash, date_left::DATE AS date_left, reason
FROM src_leavers
WHERE swe_hash IS NOT NULL
ORDER BY row
