-- Facts: the accepted return of each LA and quarter. Replaced as a whole on resubmission.
-- SWE numbers are held only as swe_hash = HMAC-SHA256(key, normalised number).
CREATE TABLE IF NOT EXISTS fact_assignment (
    submission_id BIGINT, la_code VARCHAR, quarter VARCHAR, region_code VARCHAR,
    excel_row INTEGER,               -- joins back to the raw file for the DfE return's SWE number
    assignment_ref VARCHAR, swe_hash VARCHAR,
    local_job_title VARCHAR, role_category VARCHAR, service_area VARCHAR,
    agency VARCHAR, msp VARCHAR, payment_route VARCHAR, engagement_model VARCHAR, project_team_ref VARCHAR,
    start_date DATE, end_date DATE, hours_per_week DOUBLE, fte DOUBLE,
    hourly_pay_rate DOUBLE, holiday_pay_per_hour DOUBLE, employer_ni_per_hour DOUBLE,
    apprenticeship_levy_per_hour DOUBLE, agency_fee_per_hour DOUBLE, charge_rate_per_hour DOUBLE,
    cost_in_quarter DOUBLE, cap_basis_rate DOUBLE, cap DOUBLE, cap_table_version VARCHAR, above_cap BOOLEAN,
    cap_approved_by VARCHAR, cap_approval_date DATE, cap_breach_reason VARCHAR,
    pqe_years DOUBLE, left_permanent_post VARCHAR, previous_la_code VARCHAR, date_left_permanent_post DATE,
    cool_off_exception VARCHAR, reference_obtained VARCHAR, notice_period_weeks DOUBLE, has_note BOOLEAN,
    cap_reported_to_riia VARCHAR, cap_signed_off BOOLEAN, permanent_notice_weeks DOUBLE
);
-- Columns added after the first release (contract 2: Q506's permanent notice, Q518's RIIA report).
ALTER TABLE fact_assignment ADD COLUMN IF NOT EXISTS cap_reported_to_riia VARCHAR;
ALTER TABLE fact_assignment ADD COLUMN IF NOT EXISTS cap_signed_off BOOLEAN;
ALTER TABLE fact_assignment ADD COLUMN IF NOT EXISTS permanent_notice_weeks DOUBLE;
-- Contract 3: why an assignment ended, its end-of-placement review and the reference the LA provided (Q519).
ALTER TABLE fact_assignment ADD COLUMN IF NOT EXISTS end_reason VARCHAR;
ALTER TABLE fact_assignment ADD COLUMN IF NOT EXISTS end_of_placement_review VARCHAR;
ALTER TABLE fact_assignment ADD COLUMN IF NOT EXISTS reference_provided VARCHAR;

CREATE TABLE IF NOT EXISTS fact_project_team (
    submission_id BIGINT, la_code VARCHAR, quarter VARCHAR,
    project_team_ref VARCHAR, supplier VARCHAR, model VARCHAR, start_date DATE, end_date DATE,
    number_of_workers DOUBLE, all_workers_identified VARCHAR, la_retains_control VARCHAR,
    worker_costs DOUBLE, other_costs DOUBLE, total_cost DOUBLE
);

CREATE TABLE IF NOT EXISTS fact_monthly_cost (
    submission_id BIGINT, la_code VARCHAR, quarter VARCHAR,
    month DATE, agency_headcount DOUBLE, worker_pay DOUBLE, agency_fees DOUBLE, msp_fees DOUBLE,
    project_team_other_costs DOUBLE, total_monthly_cost DOUBLE
);

-- What the LA declared next to what its assignments show (pipeline/compliance.py).
CREATE TABLE IF NOT EXISTS fact_compliance (
    submission_id BIGINT, la_code VARCHAR, quarter VARCHAR,
    rule VARCHAR, declared_status VARCHAR, prevented_by_contract VARCHAR, explanation VARCHAR,
    derived_status VARCHAR, assignments INTEGER, compliant INTEGER, breaches INTEGER, legacy INTEGER
);

CREATE TABLE IF NOT EXISTS fact_agency (
    submission_id BIGINT, la_code VARCHAR, quarter VARCHAR,
    agency VARCHAR, rule_affected VARCHAR, description VARCHAR
);

CREATE TABLE IF NOT EXISTS fact_leaver (
    submission_id BIGINT, la_code VARCHAR, quarter VARCHAR, region_code VARCHAR,
    swe_hash VARCHAR, date_left DATE, reason VARCHAR
);

-- Findings of every submission, accepted or not (SWE numbers redacted from value and message).
CREATE TABLE IF NOT EXISTS fact_finding (
    submission_id BIGINT, code VARCHAR, severity VARCHAR, sheet VARCHAR, excel_row INTEGER,
    column_header VARCHAR, cell VARCHAR, value VARCHAR, message VARCHAR, explained BOOLEAN
);

-- A regional agreement's findings (R701-R703) of every submission, kept apart from fact_finding so
-- they never join the statutory findings, counts or compliance (data-contract §3).
CREATE TABLE IF NOT EXISTS fact_agreement_finding (
    submission_id BIGINT, code VARCHAR, severity VARCHAR, sheet VARCHAR, excel_row INTEGER,
    column_header VARCHAR, cell VARCHAR, value VARCHAR, message VARCHAR, explained BOOLEAN
);

-- Cross-LA R701 of a quarter (a regional agreement's no-rehire period across its LAs), written by
-- build beside fact_cross_la and shown apart from X601/X602 in the regional outputs.
CREATE TABLE IF NOT EXISTS fact_agreement_cross_la (
    quarter VARCHAR, code VARCHAR, region_code VARCHAR,
    la_code VARCHAR, assignment_ref VARCHAR, excel_row INTEGER,
    other_la_code VARCHAR, other_ref VARCHAR, message VARCHAR
);

-- Cross-LA findings (X601, X602) of a quarter, written by build; shown only in regional and
-- national outputs, never in an LA's own feedback.
CREATE TABLE IF NOT EXISTS fact_cross_la (
    quarter VARCHAR, code VARCHAR, region_code VARCHAR,
    la_code VARCHAR, assignment_ref VARCHAR, excel_row INTEGER,
    other_la_code VARCHAR, other_ref VARCHAR, message VARCHAR
);
