-- Dimensions: refreshed from pipeline/data by warehouse.refresh_dimensions whenever the
-- reference data or the cap table changes (dims_signature in meta).
CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR);

CREATE TABLE IF NOT EXISTS dim_region (
    region_code VARCHAR,           -- E12000001..E12000009
    region_name VARCHAR,
    file_stem   VARCHAR            -- filesystem-safe name: regional/<file_stem>.xlsx
);

-- One row per dated LA record: the DfE code is the key, the GSS code and region are dated.
CREATE TABLE IF NOT EXISTS dim_la (
    la_code     VARCHAR,
    gss_code    VARCHAR,
    la_name     VARCHAR,
    region_code VARCHAR,
    valid_from  DATE,
    valid_to    DATE
);

CREATE TABLE IF NOT EXISTS dim_role (
    role_category VARCHAR,
    sort_order    INTEGER
);

-- due_date: the end of the submission_window_months-th month after the quarter (Q1 -> 31 May); later submissions are late.
CREATE TABLE IF NOT EXISTS dim_quarter (
    quarter    VARCHAR,
    year       INTEGER,
    q          INTEGER,
    start_date DATE,
    end_date   DATE,
    due_date   DATE
);

-- The cap table in force (threshold price_cap_table); every row carries its version.
CREATE TABLE IF NOT EXISTS dim_cap (
    cap_table_version VARCHAR,
    region_code       VARCHAR,
    role_category     VARCHAR,
    effective_from    DATE,
    effective_to      DATE,
    cap_gbp_per_hour  DOUBLE
);

-- DfE's children's social work workforce census (CSWW), per LA and census (30 September of census_year):
-- permanent FTE in post and the vacancy rate (% of FTE), the base of the agency rate (data-contract §7).
CREATE TABLE IF NOT EXISTS dim_census (
    la_code       VARCHAR,
    census_year   INTEGER,
    census_date   DATE,
    inpost_fte    DOUBLE,
    vacancy_fte   DOUBLE,
    vacancy_rate  DOUBLE,
    agency_fte    DOUBLE
);
