"""Stage 0, the shared vocabulary every later stage speaks: the contract (sheets, columns, aliases,
quarters), DfE's reference data, thresholds and paths, rule sets, the finding catalogue, the
collection calendar and the SWE-number detector. Imports nothing from the stages after it."""
