"""One warning per outage: the first failure is logged, the rest are counted until a success."""

from __future__ import annotations


class OutageLog:
    """Tracks whether a backend is failing; tells when to log."""

    def __init__(self) -> None:
        self.failures = 0
        self.last_error = ""

    def failed(self, error: str) -> bool:
        """Record a failure; True when it starts an outage (log it)."""
        self.failures += 1
        self.last_error = error
        return self.failures == 1

    def succeeded(self) -> int:
        """Record a success; the failures of the outage it ends (log "reachable again" when > 0)."""
        ended, self.failures, self.last_error = self.failures, 0, ""
        return ended
