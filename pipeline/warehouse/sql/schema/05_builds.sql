-- What each quarter's published outputs were built from: one row per LA whose accepted return was
-- in the build (written by build in the same transaction as the publish). An LA whose standing
-- submission differs from this, or that has one now and had none then, makes the outputs stale.
CREATE TABLE IF NOT EXISTS build_input (
    quarter       VARCHAR,
    built_at      TIMESTAMPTZ,
    la_code       VARCHAR,
    submission_id BIGINT
);

-- When each quarter's outputs were last built (also for a quarter with no accepted return).
CREATE TABLE IF NOT EXISTS build_run (
    quarter  VARCHAR,
    built_at TIMESTAMPTZ
);

-- The figures of each quarter's Explore Education Statistics file as last published (text, as the
-- file shows them: a number or DfE's symbol c, x, z, low), replaced by each build of the quarter
-- (in its transaction) after it is compared with them: the EES time series and revisions.csv read
-- them (pipeline/outputs/publication.py).
CREATE TABLE IF NOT EXISTS published_figure (
    quarter          VARCHAR,
    built_at         TIMESTAMPTZ,
    geographic_level VARCHAR,    -- National | Regional | Local authority
    region_code      VARCHAR,
    region_name      VARCHAR,
    new_la_code      VARCHAR,
    old_la_code      VARCHAR,
    la_name          VARCHAR,
    role_category    VARCHAR,    -- a role category or 'Total'
    indicator        VARCHAR,
    value            VARCHAR
);

-- Every published figure a later build of its quarter changed: from what to what, when, and why
-- (the LAs' returns that changed since the build that published it). Never updated or deleted.
CREATE TABLE IF NOT EXISTS figure_revision (
    quarter          VARCHAR,
    indicator        VARCHAR,
    geographic_level VARCHAR,
    region_code      VARCHAR,
    old_la_code      VARCHAR,
    geography        VARCHAR,    -- England, the region's or the LA's name
    role_category    VARCHAR,
    old_value        VARCHAR,
    new_value        VARCHAR,
    published_at     TIMESTAMPTZ, -- the build that published old_value
    revised_at       TIMESTAMPTZ, -- the build that published new_value
    reason           VARCHAR
);
