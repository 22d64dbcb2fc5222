-- R701 across LAs: a worker engaged by one LA after the statutory cool_off_months (X602's) but within
-- its region's own no-rehire period (src_no_rehire: region_code, months, in_force_from, in_force_until,
-- from pipeline/core/data/agreements.toml, the rule in force on the start date) of leaving a permanent
-- post at another LA of the region: that LA's Leavers sheet of this quarter's or the two before's
-- accepted returns (a leaver is listed for 3 months; the period may be 6). Leavers through redundancy
-- or probation, and assignments with a cool-off exception other than "Different region", are
-- excepted as in X602. A regional agreement's finding: kept in fact_agreement_cross_la, apart.
WITH leavers AS (
    SELECT DISTINCT la_code, region_code, swe_hash, date_left
    FROM fact_leaver
    WHERE quarter IN ($quarter, $previous_quarter, $quarter_before)
      AND coalesce(reason, '') NOT IN ('Redundancy', 'Probation')
)
SELECT
    'R701' AS code, a.region_code, a.la_code, a.assignment_ref, a.excel_row,
    l.la_code AS other_la_code, NULL AS other_ref,
    a.start_date, l.date_left, (a.start_date - l.date_left)::INTEGER AS days, r.months, r.agreement
FROM fact_assignment AS a
JOIN leavers AS l
  ON l.swe_hash = a.swe_hash AND l.region_code = a.region_code AND l.la_code <> a.la_code
JOIN src_no_rehire AS r
  ON r.region_code = a.region_code AND a.start_date >= r.in_force_from
 AND (r.in_force_until IS NULL OR a.start_date <= r.in_force_until)
WHERE a.quarter = $quarter
  AND a.start_date >= l.date_left + to_months($cool_off_months::INTEGER)
  AND a.start_date < l.date_left + to_months(r.months::INTEGER)
  AND coalesce(a.cool_off_exception, 'None') IN ('None', 'Different region')
ORDER BY a.la_code, a.excel_row, l.la_code
