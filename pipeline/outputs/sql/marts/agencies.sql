-- agencies: agencies each LA named as affecting compliance.
SELECT l.region_code, a.la_code, l.la_name, a.quarter, a.agency, a.rule_affected, a.description
FROM fact_agency AS a
JOIN la_quarter AS l USING (la_code, quarter)
WHERE a.quarter = $quarter
ORDER BY a.la_code, a.agency, a.rule_affected
