-- X601: the same worker (SWE hash) engaged by two LAs over overlapping dates, across England,
-- over the accepted returns of the quarter. One row per side, so each LA's region sees it.
SELECT
    'X601' AS code, a.region_code, a.la_code, a.assignment_ref, a.excel_row,
    b.la_code AS other_la_code, b.assignment_ref AS other_ref,
    greatest(a.start_date, b.start_date) AS overlap_start,
    CASE WHEN a.end_date IS NULL AND b.end_date IS NULL THEN NULL
         ELSE least(coalesce(a.end_date, b.end_date), coalesce(b.end_date, a.end_date)) END AS overlap_end,
    NULL::DATE AS start_date, NULL::DATE AS date_left, NULL::INTEGER AS days
FROM fact_assignment AS a
JOIN fact_assignment AS b
  ON a.swe_hash = b.swe_hash AND a.quarter = b.quarter AND a.la_code <> b.la_code
WHERE a.quarter = $quarter
  AND a.start_date <= coalesce(b.end_date, DATE '9999-12-31')
  AND b.start_date <= coalesce(a.end_date, DATE '9999-12-31')
ORDER BY a.la_code, a.excel_row, b.la_code, b.assignment_ref
