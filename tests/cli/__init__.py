"""Tests of the command line (pipeline/cli/)."""
