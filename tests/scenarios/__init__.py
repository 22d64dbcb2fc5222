"""Tests of scenarios across stages: faults, hostile files, flows, the work pool, the browser."""
