-- tenure: per LA with an accepted return, region (la_code 'ALL') and England (E92000001): the
-- assignments at quarter end by tenure band (weeks from start to the quarter's end: under 12, 12 to
-- under 26, 26 to under 52, 52 to under 104, 104 and over), their median tenure (weeks), and the
-- assignments that started and that ended in the quarter.
SELECT CASE WHEN grouping(region_code) = 1 THEN 'E92000001' ELSE region_code END AS region_code,
       CASE WHEN grouping(la_code) = 1 THEN 'ALL' ELSE la_code END AS la_code,
       CASE WHEN grouping(region_code) = 1 THEN 'England' WHEN grouping(la_code) = 1 THEN any_value(region_name)
            ELSE any_value(la_name) END AS la_name,
       count(*) FILTER (WHERE active_at_quarter_end) AS assignments_quarter_end,
       count(*) FILTER (WHERE active_at_quarter_end AND tenure_weeks < 12) AS tenure_under_12_weeks,
       count(*) FILTER (WHERE active_at_quarter_end AND tenure_weeks >= 12 AND tenure_weeks < 26) AS tenure_12_to_26_weeks,
       count(*) FILTER (WHERE active_at_quarter_end AND tenure_weeks >= 26 AND tenure_weeks < 52) AS tenure_26_to_52_weeks,
       count(*) FILTER (WHERE active_at_quarter_end AND tenure_weeks >= 52 AND tenure_weeks < 104) AS tenure_1_to_2_years,
       count(*) FILTER (WHERE active_at_quarter_end AND tenure_weeks >= 104) AS tenure_over_2_years,
       round(median(tenure_weeks) FILTER (WHERE active_at_quarter_end), 1) AS median_tenure_weeks,
       count(*) FILTER (WHERE starts_in_quarter) AS starts_in_quarter,
       count(*) FILTER (WHERE ends_in_quarter) AS ends_in_quarter
FROM mart_assignment_measures
GROUP BY GROUPING SETS ((region_code, la_code), (region_code), ())
ORDER BY grouping(region_code), region_code, grouping(la_code), la_code
