-- supply_chain: per region and England (region_code E92000001), each agency and each managed service
-- provider (supplier_type 'Agency' or 'MSP') of the quarter's assignments: assignments, agency FTE in
-- the quarter, spend (£, cost in the quarter), median hourly pay rate and charge rate (£/hour), median
-- agency fee per hour, median mark-up (% of the cap-basis rate the charge rate adds: (charge -
-- cap-basis) / cap-basis x 100), assignments above cap, findings Q503-Q506 on its assignments, and
-- the payment-route mix (% of its assignments by route). Disclosure: a supplier of one or two workers
-- in a region would show their pay, so its spend and medians are left out (suppressed true).
WITH a AS (
    SELECT m.*, 'Agency' AS supplier_type, m.agency AS supplier FROM mart_assignment_measures AS m
    UNION ALL
    SELECT m.*, 'MSP', m.msp FROM mart_assignment_measures AS m WHERE m.msp IS NOT NULL
),
found AS (
    SELECT submission_id, excel_row, count(*) AS findings
    FROM fact_finding
    WHERE sheet = 'Assignments' AND code IN ('Q503', 'Q504', 'Q505', 'Q506')
      AND submission_id IN (SELECT DISTINCT submission_id FROM mart_assignment_measures)
    GROUP BY ALL
)
SELECT CASE WHEN grouping(a.region_code) = 1 THEN 'E92000001' ELSE a.region_code END AS region_code,
       a.supplier_type, a.supplier,
       count(*) AS assignments,
       count(DISTINCT a.swe_hash) AS workers,
       count(DISTINCT a.swe_hash) <= 2 AS suppressed,
       count(DISTINCT a.la_code) AS las,
       round(sum(a.fte), 2) AS fte,
       CASE WHEN count(DISTINCT a.swe_hash) > 2 THEN round(sum(a.cost_in_quarter), 2) END AS spend,
       CASE WHEN count(DISTINCT a.swe_hash) > 2 THEN round(median(a.hourly_pay_rate), 2) END AS median_pay_rate,
       CASE WHEN count(DISTINCT a.swe_hash) > 2 THEN round(median(a.charge_rate_per_hour), 2) END AS median_charge_rate,
       CASE WHEN count(DISTINCT a.swe_hash) > 2 THEN round(median(a.agency_fee_per_hour), 2) END AS median_fee_per_hour,
       CASE WHEN count(DISTINCT a.swe_hash) > 2 THEN round(median(100 * (a.charge_rate_per_hour - a.cap_basis_rate)
           / nullif(a.cap_basis_rate, 0)), 1) END AS median_mark_up_pct,
       count(*) FILTER (WHERE a.above_cap) AS assignments_above_cap,
       coalesce(sum(f.findings), 0)::BIGINT AS findings_q503_q506,
       round(100 * avg((a.payment_route = 'PAYE')::INTEGER), 1) AS paye_pct,
       round(100 * avg((a.payment_route = 'Umbrella company')::INTEGER), 1) AS umbrella_pct,
       round(100 * avg((a.payment_route = 'Limited company')::INTEGER), 1) AS limited_company_pct,
       round(100 * avg((a.payment_route = 'Self-employed')::INTEGER), 1) AS self_employed_pct
FROM a
LEFT JOIN found AS f USING (submission_id, excel_row)
GROUP BY a.supplier_type, a.supplier, GROUPING SETS ((a.region_code), ())
ORDER BY grouping(a.region_code), region_code, a.supplier_type, sum(a.cost_in_quarter) DESC, a.supplier
