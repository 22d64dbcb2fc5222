"""Tests of the web service (web/)."""
