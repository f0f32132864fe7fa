"""Shared parts of the vector-memory tests: fixed test embeddings and the stores to run against."""

from __future__ import annotations

import math

TOPICS = ("soup", "invoice", "garden", "rocket")


def topic_vector(text: str) -> list[float]:
    """A fixed 4-dimensional embedding: one axis per topic word in ``text``; none is a fifth
    direction split evenly, so a text about nothing is far from every topic."""
    lowered = text.lower()
    vector = [1.0 if topic in lowered else 0.0 for topic in TOPICS]
    if not any(vector):
        vector = [-0.5, -0.5, -0.5, -0.5]
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector]
