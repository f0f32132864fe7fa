"""The kubelet's crash-loop back-off for one container.

Interface::

    backoff = CrashBackoff(base=10.0, cap=300.0)      # the kubelet's defaults
    delay = backoff.after_exit(finished_at)           # seconds to wait before the restart

Like the kubelet (``flowcontrol.Backoff`` keyed by container): the first exit restarts at once,
the next ones wait ``base``, ``2 * base``, ... up to ``cap``; an exit more than ``2 * cap``
after the previous one starts over, so a container that ran well for a long time restarts at once.
"""

from __future__ import annotations


class CrashBackoff:
    """Delays between restarts of one container (see the module docstring)."""

    def __init__(self, base: float, cap: float) -> None:
        if base <= 0 or cap < base:
            raise ValueError(f"back-off needs 0 < base <= cap, got base={base} cap={cap}")
        self.base = base
        self.cap = cap
        self._next: float | None = None
        self._last_exit = 0.0

    def after_exit(self, finished_at: float) -> float:
        """The wait before restarting after an exit at ``finished_at`` (monotonic seconds)."""
        if self._next is None or finished_at - self._last_exit > 2 * self.cap:
            delay, self._next = 0.0, self.base
        else:
            delay, self._next = self._next, min(self._next * 2, self.cap)
        self._last_exit = finished_at
        return delay
