-- dfe_compliance: the LA's statement on each of the seven rules, with what its assignments show.
SELECT
    a.region_code, c.la_code, c.quarter, c.rule, c.declared_status, c.prevented_by_contract, c.explanation,
    c.derived_status, c.assignments, c.breaches, c.legacy
FROM fact_compliance AS c
JOIN la_quarter AS a USING (la_code, quarter)
WHERE c.quarter = $quarter
ORDER BY c.la_code, array_position(['Price caps', 'Project teams', 'Notice periods', 'Cool-off period',
                                    'Post-qualifying experience', 'References', 'Data return'], c.rule)
