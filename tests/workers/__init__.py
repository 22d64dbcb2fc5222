"""Tests of worker processes (pipeline/workers/)."""
