"""Tests of the warehouse (pipeline/warehouse/)."""
