"""Tests of reading workbooks (pipeline/read/)."""
