-- ProjectTeams sheet -> fact_project_team.
SELECT
    s.submission_id::BIGINT AS submission_id, s.la_code, s.quarter,
    project_team_ref, supplier, model, start_date::DATE AS start_date, end_date::DATE AS end_date,
    number_of_workers, all_workers_identified, la_retains_control, worker_costs, other_costs, total_cost
FROM src_project_teams AS s
ORDER BY s.submission_id, s.row
