-- agreement_findings: a regional agreement's findings (R701-R703) of the quarter's accepted returns and
-- the cross-LA R701 found at build, one row each, for the RIIA of the LA's region: apart from the
-- statutory findings (data-contract §3), never counted with them.
SELECT l.region_code, c.la_code, l.la_name, c.quarter, f.code, 'Return' AS found_by, f.cell, f.message,
       f.explained
FROM current_submission AS c
JOIN la_quarter AS l USING (la_code, quarter)
JOIN fact_agreement_finding AS f USING (submission_id)
WHERE c.quarter = $quarter
UNION ALL
SELECT x.region_code, x.la_code, l.la_name, x.quarter, x.code, 'Across LAs' AS found_by, NULL AS cell, x.message,
       FALSE AS explained
FROM fact_agreement_cross_la AS x
JOIN la_quarter AS l USING (la_code, quarter)
WHERE x.quarter = $quarter
ORDER BY region_code, la_code, code, found_by DESC, cell
