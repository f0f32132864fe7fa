"""Unit tests of the run engine (ark.flow)."""
