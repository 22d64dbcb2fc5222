-- Assignments sheet (typed frame src_assignments, SWE number already replaced by swe_hash)
-- -> fact_assignment. Adds FTE (hours/37) and whether the cap-basis rate (pay + holiday +
-- employer NI + levy) is above the cap. The cap is the one the agency rules applied (column
-- `cap`, from pipeline.rules.caps.cap_for: region x role x the later of the start date and, for
-- assignments still running, caps_apply_to_existing_from), so the outputs and Q501 agree.
-- cap_signed_off: approved by someone who may approve a breach (threshold cap_breach_approvers).
SELECT
    s.submission_id::BIGINT AS submission_id, s.la_code, s.quarter,
    s.region_code,
    s.row::INTEGER AS excel_row, s.assignment_ref, s.swe_hash,
    s.local_job_title, s.role_category, s.service_area, s.agency, s.msp, s.payment_route,
    s.engagement_model, s.project_team_ref,
    s.start_date::DATE AS start_date, s.end_date::DATE AS end_date,
    s.hours_per_week, s.hours_per_week / 37.0 AS fte,
    s.hourly_pay_rate, s.holiday_pay_per_hour, s.employer_ni_per_hour, s.apprenticeship_levy_per_hour,
    s.agency_fee_per_hour, s.charge_rate_per_hour, s.cost_in_quarter, s.cap_basis_rate,
    s.cap, CASE WHEN s.cap IS NOT NULL THEN s.cap_table_version END AS cap_table_version,
    round(s.cap_basis_rate, 2) > s.cap AS above_cap,
    s.cap_approved_by, s.cap_approval_date::DATE AS cap_approval_date, s.cap_breach_reason,
    s.cap_reported_to_riia, s.cap_signed_off,
    s.pqe_years, s.left_permanent_post, s.previous_la_code,
    s.date_left_permanent_post::DATE AS date_left_permanent_post,
    s.cool_off_exception, s.reference_obtained, s.notice_period_weeks, s.permanent_notice_weeks,
    s.end_reason, s.end_of_placement_review, s.reference_provided,
    coalesce(trim(s.notes), '') <> '' AS has_note
FROM src_assignments AS s
ORDER BY s.submission_id, s.row
