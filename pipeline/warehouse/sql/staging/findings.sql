-- Findings of the submissions recorded together (src_findings, SWE numbers already redacted) -> fact_finding,
-- or a regional agreement's (R7xx) -> fact_agreement_finding.
SELECT
    submission_id::BIGINT AS submission_id, code, severity, sheet, "row"::INTEGER AS excel_row,
    "column" AS column_header, cell, value, message, explained
FROM src_findings
