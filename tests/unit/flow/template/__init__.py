"""Unit tests of the template language (ark.flow.template)."""
