-- cap_breaches: assignments whose cap-basis rate is above the regional cap, and who signed off.
-- signed_off: approved by someone who may approve a breach (threshold cap_breach_approvers: the DCS
-- and/or Chief Executive); reported_to_riia: the LA records reporting it to its RIIA (Q518).
SELECT
    f.region_code, f.la_code, l.la_name, f.quarter, f.assignment_ref, f.role_category, f.start_date,
    round(f.cap_basis_rate, 2) AS cap_basis_rate, f.cap, round(f.cap_basis_rate - f.cap, 2) AS above_cap_by,
    f.cap_approved_by, f.cap_approval_date, f.cap_breach_reason,
    coalesce(f.cap_signed_off, false) AS signed_off,
    coalesce(f.cap_reported_to_riia = 'Yes', false) AS reported_to_riia,
    f.cap_table_version
FROM fact_assignment AS f
JOIN la_quarter AS l USING (la_code, quarter)
WHERE f.quarter = $quarter AND f.above_cap
ORDER BY f.la_code, f.excel_row
