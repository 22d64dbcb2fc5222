-- Agencies sheet -> fact_agency (blank rows already skipped by ingest).
SELECT
    $submission_id::BIGINT AS submission_id, $la_code AS la_code, $quarter AS quarter,
    agency, rule_affected, description
FROM src_agencies
ORDER BY row
