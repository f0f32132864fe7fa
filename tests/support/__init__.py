"""Shared test helpers: waiting on conditions, the local cluster and Redis fixtures."""
