"""Tests of the rules (pipeline/rules/, schemas/)."""
