-- Compliance sheet joined with the derived compliance (src_derived, from pipeline/compliance.py)
-- -> fact_compliance: one row per rule, declared next to derived.
SELECT
    $submission_id::BIGINT AS submission_id, $la_code AS la_code, $quarter AS quarter,
    d.rule, coalesce(s.status, d.declared) AS declared_status, s.prevented_by_contract, s.explanation,
    d.derived_status, d.assignments::INTEGER AS assignments, d.compliant::INTEGER AS compliant,
    d.breaches::INTEGER AS breaches, d.legacy::INTEGER AS legacy
FROM src_derived AS d
LEFT JOIN (SELECT * FROM src_compliance QUALIFY row_number() OVER (PARTITION BY rule ORDER BY row) = 1) AS s
    ON s.rule = d.rule
ORDER BY d.position
