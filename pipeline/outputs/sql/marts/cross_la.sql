-- cross_la: the quarter's X601/X602 findings, one row per LA side, for the RIIA of that LA's region.
SELECT x.region_code, x.la_code, l.la_name, x.quarter, x.code, x.assignment_ref, x.excel_row,
       x.other_la_code, o.la_name AS other_la_name, x.other_ref, x.message
FROM fact_cross_la AS x
JOIN la_quarter AS l USING (la_code, quarter)
LEFT JOIN la_quarter AS o ON o.la_code = x.other_la_code AND o.quarter = x.quarter
WHERE x.quarter = $quarter
ORDER BY x.region_code, x.code, x.la_code, x.excel_row
