"""The `ark` command line."""
