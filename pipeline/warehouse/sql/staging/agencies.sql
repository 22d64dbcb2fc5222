-- Agencies sheet -> fact_agency (blank rows already skipped by ingest).
SELECT
    s.submission_id::BIGINT AS submission_id, s.la_code, s.quarter,
    agency, rule_affected, description
FROM src_agencies AS s
ORDER BY s.submission_id, s.row
