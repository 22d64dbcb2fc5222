-- compliance_grid: per LA and rule, the declared status next to what the assignments show;
-- agrees is false where they differ ('No assignments' agrees with any declaration).
SELECT
    l.region_code, c.la_code, l.la_name, c.quarter, c.rule, c.declared_status, c.derived_status,
    c.breaches, c.assignments,
    c.derived_status = 'No assignments' OR c.declared_status = c.derived_status AS agrees
FROM fact_compliance AS c
JOIN la_quarter AS l USING (la_code, quarter)
WHERE c.quarter = $quarter
ORDER BY c.la_code, array_position(['Price caps', 'Project teams', 'Notice periods', 'Cool-off period',
                                    'Post-qualifying experience', 'References', 'Data return'], c.rule)
