-- census: this quarter's rows of census_quarters: each LA live in the quarter with its latest DfE
-- workforce census up to the quarter's end (permanent FTE in post, vacancies, vacancy rate in %).
SELECT * EXCLUDE (quarter) FROM mart_census_quarters WHERE quarter = $quarter
