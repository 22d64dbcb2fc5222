-- census_quarters: for every quarter up to this one, each LA live in it with its latest DfE workforce
-- census (30 September) up to the quarter's end that gives permanent FTE in post: the base of the
-- agency rate (data-contract §7). vacancy_rate is the census's own, in % of FTE (21.5 = 21.5%); an
-- LA the census has no usable figure for has a NULL census_year. census is this quarter's.
SELECT l.quarter, l.region_code, l.la_code, c.census_year, c.inpost_fte AS permanent_fte, c.vacancy_fte,
       c.vacancy_rate
FROM la_quarter AS l
JOIN dim_quarter AS q USING (quarter)
LEFT JOIN dim_census AS c ON c.la_code = l.la_code AND c.census_date <= q.end_date AND c.inpost_fte IS NOT NULL
WHERE l.quarter <= $quarter AND l.quarter >= (SELECT min(quarter) FROM fact_assignment)
QUALIFY row_number() OVER (PARTITION BY l.quarter, l.la_code ORDER BY c.census_year DESC NULLS LAST) = 1
