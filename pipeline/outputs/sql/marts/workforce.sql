-- workforce: per LA with an accepted return (and each region's and England's rows, la_code 'ALL'):
-- agency headcount (distinct workers) and FTE at quarter end and in the quarter (FTE: blank hours as
-- 37), permanent FTE in post and the vacancy rate from the LA's latest census up to the quarter's end
-- (mart_census), the agency rate (data-contract §7). Rates in % (21.5 = 21.5%). A region's or
-- England's rates count only its LAs that have a census figure.
WITH per_la AS (
    SELECT m.region_code, m.la_code,
           count(DISTINCT m.swe_hash) FILTER (WHERE m.active_at_quarter_end)::BIGINT AS agency_headcount_quarter_end,
           sum(m.fte) FILTER (WHERE m.active_at_quarter_end) AS agency_fte_quarter_end,
           count(DISTINCT m.swe_hash)::BIGINT AS agency_headcount_in_quarter,
           sum(m.fte) AS agency_fte_in_quarter
    FROM mart_assignment_measures AS m
    GROUP BY ALL
),
joined AS (
    SELECT p.*, coalesce(p.agency_fte_quarter_end, 0) AS fte_end, c.census_year, c.permanent_fte, c.vacancy_fte,
           c.vacancy_rate, l.la_name, l.region_name
    FROM per_la AS p
    JOIN mart_census AS c USING (region_code, la_code)
    JOIN la_quarter AS l ON l.quarter = $quarter AND l.la_code = p.la_code
),
la_rows AS (
    SELECT region_code, la_code, la_name, 0 AS level, agency_headcount_quarter_end,
           round(fte_end, 2) AS agency_fte_quarter_end, agency_headcount_in_quarter,
           round(agency_fte_in_quarter, 2) AS agency_fte_in_quarter, permanent_fte,
           round(100 * fte_end / (fte_end + permanent_fte), 1) AS agency_rate,
           vacancy_rate, census_year, 1::BIGINT AS las
    FROM joined
),
totals AS (
    SELECT CASE WHEN grouping(region_code) = 1 THEN 'E92000001' ELSE region_code END AS region_code,
           'ALL' AS la_code,
           CASE WHEN grouping(region_code) = 1 THEN 'England' ELSE any_value(region_name) END AS la_name,
           1 + grouping(region_code) AS level,
           sum(agency_headcount_quarter_end)::BIGINT AS agency_headcount_quarter_end,
           round(sum(fte_end), 2) AS agency_fte_quarter_end,
           sum(agency_headcount_in_quarter)::BIGINT AS agency_headcount_in_quarter,
           round(sum(agency_fte_in_quarter), 2) AS agency_fte_in_quarter,
           round(sum(permanent_fte), 1) AS permanent_fte,
           round(100 * sum(fte_end) FILTER (WHERE permanent_fte IS NOT NULL)
                 / (sum(fte_end) FILTER (WHERE permanent_fte IS NOT NULL) + sum(permanent_fte)), 1) AS agency_rate,
           round(100 * sum(vacancy_fte) FILTER (WHERE vacancy_rate IS NOT NULL)
                 / (sum(vacancy_fte) FILTER (WHERE vacancy_rate IS NOT NULL)
                    + sum(permanent_fte) FILTER (WHERE vacancy_rate IS NOT NULL)), 1) AS vacancy_rate,
           max(census_year) AS census_year, count(*) AS las
    FROM joined
    GROUP BY GROUPING SETS ((region_code), ())
)
SELECT * EXCLUDE (level) FROM (SELECT * FROM la_rows UNION ALL BY NAME SELECT * FROM totals)
ORDER BY level = 2, region_code, level, la_code
