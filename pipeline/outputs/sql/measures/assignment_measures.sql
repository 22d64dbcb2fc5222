-- assignment_measures: this quarter's accepted assignments, one row each, with the measures of
-- data-contract section 7 as assignment_quarters defines them (docs/outputs.md, "Definitions").
-- Read by every mart that counts at quarter end, FTE (blank hours: 37), tenure or £ above a cap.
SELECT * FROM mart_assignment_quarters WHERE quarter = $quarter
