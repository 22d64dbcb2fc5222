-- Q514: the LA's total cost in its previous quarter, if that quarter was accepted.
SELECT total_cost FROM la_quarter_cost WHERE la_code = $la_code AND quarter = $quarter
