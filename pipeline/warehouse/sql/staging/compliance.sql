-- Compliance sheets joined with the derived compliance (src_derived, from pipeline/rules/compliance.py)
-- -> fact_compliance: one row per submission and rule, declared next to derived.
SELECT
    d.submission_id::BIGINT AS submission_id, d.la_code, d.quarter,
    d.rule, coalesce(s.status, d.declared) AS declared_status, s.prevented_by_contract, s.explanation,
    d.derived_status, d.assignments::INTEGER AS assignments, d.compliant::INTEGER AS compliant,
    d.breaches::INTEGER AS breaches, d.legacy::INTEGER AS legacy
FROM src_derived AS d
LEFT JOIN (SELECT * FROM src_compliance
           QUALIFY row_number() OVER (PARTITION BY submission_id, rule ORDER BY row) = 1) AS s
    ON s.submission_id = d.submission_id AND s.rule = d.rule
ORDER BY d.submission_id, d.position
