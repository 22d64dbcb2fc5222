-- The submissions ledger: one row per submission ever taken (identical bytes re-sent while
-- they are the LA's latest are a no-op and add no row). Never updated, never deleted.
CREATE SEQUENCE IF NOT EXISTS submission_seq START 1;

CREATE TABLE IF NOT EXISTS ledger (
    submission_id       BIGINT PRIMARY KEY,
    la_code             VARCHAR,          -- NULL when unreadable
    quarter             VARCHAR,          -- the return's own quarter, NULL when unreadable
    collecting_quarter  VARCHAR,          -- --quarter given at submit, if any
    sha256              VARCHAR NOT NULL, -- raw file: data/raw/<sha256>.xlsx
    file_name           VARCHAR,
    received_at         TIMESTAMPTZ NOT NULL,
    status              VARCHAR NOT NULL, -- accepted | rejected | unreadable
    errors              INTEGER,
    queries             INTEGER,
    queries_outstanding INTEGER,
    cap_table_version   VARCHAR,
    rule_set            VARCHAR           -- the rule-set version it was judged by (pipeline/rulesets.py)
);
ALTER TABLE ledger ADD COLUMN IF NOT EXISTS rule_set VARCHAR;

-- Which accepted submission currently stands for each LA and quarter (facts hold only these).
CREATE TABLE IF NOT EXISTS current_submission (
    la_code       VARCHAR,
    quarter       VARCHAR,
    submission_id BIGINT
);
