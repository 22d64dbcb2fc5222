-- assignment_quarters: every accepted assignment of every quarter up to this one, with the measures
-- of data-contract section 7 (docs/outputs.md, "Definitions"); assignment_measures is this quarter's.
-- fte: hours per week / 37, blank hours counted as 37. days_active_in_quarter: days of the quarter
-- the assignment ran, both ends counted. active_at_quarter_end: running on the quarter's last day
-- (the census is a snapshot too). tenure_weeks: days from start to the quarter's end, or to the end
-- date if earlier, / 7. cap_excess_per_hour: cap-basis rate - cap where above it (£/hour).
SELECT
    f.quarter, f.submission_id, f.excel_row, l.region_code, l.region_name, f.la_code, l.la_name, f.role_category, f.assignment_ref,
    f.swe_hash, f.agency, f.msp, f.payment_route, f.engagement_model, f.project_team_ref,
    f.hours_per_week, coalesce(f.hours_per_week, 37.0) AS hours_per_week_or_37,
    coalesce(f.hours_per_week, 37.0) / 37.0 AS fte,
    f.hourly_pay_rate, f.agency_fee_per_hour, f.charge_rate_per_hour,
    f.cap_basis_rate, f.cap, f.above_cap, f.cap_signed_off,
    CASE WHEN f.above_cap THEN f.cap_basis_rate - f.cap END AS cap_excess_per_hour,
    f.cost_in_quarter, f.start_date, f.end_date,
    date_diff('day', greatest(f.start_date, q.start_date), least(coalesce(f.end_date, q.end_date), q.end_date)) + 1
        AS days_active_in_quarter,
    f.start_date <= q.end_date AND (f.end_date IS NULL OR f.end_date >= q.end_date) AS active_at_quarter_end,
    date_diff('day', f.start_date, least(coalesce(f.end_date, q.end_date), q.end_date)) / 7.0 AS tenure_weeks,
    f.end_date IS NOT NULL AND f.end_date BETWEEN q.start_date AND q.end_date AS ends_in_quarter,
    f.start_date BETWEEN q.start_date AND q.end_date AS starts_in_quarter
FROM fact_assignment AS f
JOIN dim_quarter AS q USING (quarter)
JOIN la_quarter AS l USING (la_code, quarter)
WHERE f.quarter <= $quarter
