-- trends: every headline measure for every quarter held up to this one (accepted returns), per LA,
-- region (la_code 'ALL') and England (region_code E92000001), and the same for each financial year
-- (April-March; period 'FY 2025-26', quarters: how many of its quarters are held). cost: the LAs'
-- monthly costs added up (£); agency FTE at quarter end and the agency rate (%) are snapshots, so a
-- financial year has none; share above cap (% of assignments with a cap), breaches (assignments above
-- cap), compliance (% of LA x rule judged from assignments that are Fully compliant), project-team
-- cost share (% of assignments' cost in the quarter under a project team or packaged model).
WITH assignments AS (
    SELECT quarter, la_code,
           count(*) FILTER (WHERE cap IS NOT NULL) AS capped,
           count(*) FILTER (WHERE above_cap) AS breaches,
           coalesce(sum(fte) FILTER (WHERE active_at_quarter_end), 0) AS fte_end,
           sum(cost_in_quarter) AS assignment_cost,
           coalesce(sum(cost_in_quarter) FILTER (WHERE engagement_model IN ('Project team', 'Packaged model')), 0)
               AS project_team_cost
    FROM mart_assignment_quarters
    GROUP BY ALL
),
compliance AS (
    SELECT quarter, la_code,
           count(*) FILTER (WHERE derived_status <> 'No assignments') AS rules_judged,
           count(*) FILTER (WHERE derived_status = 'Fully compliant') AS rules_compliant
    FROM fact_compliance
    WHERE quarter <= $quarter
    GROUP BY ALL
),
base AS (
    SELECT c.quarter, l.region_code, l.region_name, c.la_code, l.la_name, c.total_cost,
           coalesce(a.capped, 0) AS capped, coalesce(a.breaches, 0) AS breaches, coalesce(a.fte_end, 0) AS fte_end,
           coalesce(a.assignment_cost, 0) AS assignment_cost, coalesce(a.project_team_cost, 0) AS project_team_cost,
           p.rules_judged, p.rules_compliant, s.permanent_fte,
           CASE WHEN q.q = 1 THEN q.year - 1 ELSE q.year END AS fy
    FROM la_quarter_cost AS c
    JOIN dim_quarter AS q USING (quarter)
    JOIN la_quarter AS l USING (la_code, quarter)
    JOIN mart_census_quarters AS s USING (la_code, quarter)
    LEFT JOIN assignments AS a USING (la_code, quarter)
    LEFT JOIN compliance AS p USING (la_code, quarter)
    WHERE c.quarter <= $quarter
),
periods AS (
    SELECT *, quarter AS period, 'Quarter' AS period_type FROM base
    UNION ALL
    SELECT *, format('FY {}-{}', fy, right((fy + 1)::VARCHAR, 2)), 'Financial year' FROM base
)
SELECT CASE WHEN grouping(region_code) = 1 THEN 'E92000001' ELSE region_code END AS region_code,
       CASE WHEN grouping(la_code) = 1 THEN 'ALL' ELSE la_code END AS la_code,
       CASE WHEN grouping(region_code) = 1 THEN 'England' WHEN grouping(la_code) = 1 THEN any_value(region_name)
            ELSE any_value(la_name) END AS la_name,
       period_type, period,
       count(DISTINCT quarter) AS quarters,
       count(DISTINCT la_code) AS las_reporting,
       round(sum(total_cost), 2) AS cost,
       CASE WHEN period_type = 'Quarter' THEN round(sum(fte_end), 2) END AS agency_fte_quarter_end,
       CASE WHEN period_type = 'Quarter' THEN round(100 * sum(fte_end) FILTER (WHERE permanent_fte IS NOT NULL)
            / (sum(fte_end) FILTER (WHERE permanent_fte IS NOT NULL) + sum(permanent_fte)), 1) END AS agency_rate,
       round(100 * sum(breaches) / nullif(sum(capped), 0), 1) AS share_above_cap_pct,
       sum(breaches)::BIGINT AS breaches,
       round(100 * sum(rules_compliant) / nullif(sum(rules_judged), 0), 1) AS compliance_pct,
       round(100 * sum(project_team_cost) / nullif(sum(assignment_cost), 0), 1) AS project_team_cost_share_pct
FROM periods
GROUP BY period_type, period, GROUPING SETS ((region_code, la_code), (region_code), ())
ORDER BY grouping(region_code) = 1, region_code, grouping(la_code) = 0, la_code, period_type = 'Financial year', period
