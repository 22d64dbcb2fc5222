-- ProjectTeams sheet -> fact_project_team.
SELECT
    $submission_id::BIGINT AS submission_id, $la_code AS la_code, $quarter AS quarter,
    project_team_ref, supplier, model, start_date::DATE AS start_date, end_date::DATE AS end_date,
    number_of_workers, all_workers_identified, la_retains_control, worker_costs, other_costs, total_cost
FROM src_project_teams
ORDER BY row
