-- X602: a worker engaged by one LA within cool_off_months of leaving a permanent post at another
-- LA of the same region (that LA's Leavers sheet, this quarter's or the previous quarter's
-- accepted return), with no cool-off exception recorded on the assignment. Leavers who left
-- through redundancy or probation are exceptions; "Different region" excuses nothing here, since
-- both LAs are in the same region (data-contract X602, Q504).
WITH leavers AS (
    SELECT DISTINCT la_code, region_code, swe_hash, date_left
    FROM fact_leaver
    WHERE quarter IN ($quarter, $previous_quarter)
      AND coalesce(reason, '') NOT IN ('Redundancy', 'Probation')
)
SELECT
    'X602' AS code, a.region_code, a.la_code, a.assignment_ref, a.excel_row,
    l.la_code AS other_la_code, NULL AS other_ref,
    NULL::DATE AS overlap_start, NULL::DATE AS overlap_end,
    a.start_date, l.date_left, (a.start_date - l.date_left)::INTEGER AS days
FROM fact_assignment AS a
JOIN leavers AS l
  ON l.swe_hash = a.swe_hash AND l.region_code = a.region_code AND l.la_code <> a.la_code
WHERE a.quarter = $quarter
  AND a.start_date >= l.date_left
  AND a.start_date < l.date_left + to_months($cool_off_months::INTEGER)
  AND coalesce(a.cool_off_exception, 'None') IN ('None', 'Different region')
ORDER BY a.la_code, a.excel_row, l.la_code
