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
