"""Tests of the outputs (pipeline/outputs/)."""
