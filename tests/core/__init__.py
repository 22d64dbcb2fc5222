"""Tests of the shared vocabulary (pipeline/core/)."""
