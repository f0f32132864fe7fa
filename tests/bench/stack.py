"""The cluster a benchmark measures: a control plane, Redis, the CRDs and operator replicas.

Interface::

    with operator_stack("bench") as stack:
        operator = stack.add_operator("--trigger-webhook-rate=100000")   # waits until ready
        stack.cp.kubeconfig, stack.redis.url
    # every operator stopped, then Redis and the control plane
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from localcluster import ControlPlane, RedisServer

from tests.bench.crds import install_crds
from tests.e2e.operator.support import OperatorProcess
from tests.support.wait import wait_for_sync


@dataclass
class Stack:
    """What :func:`operator_stack` started."""

    namespace: str
    cp: ControlPlane
    redis: RedisServer
    operators: list[OperatorProcess] = field(default_factory=list)

    def add_operator(self, *flags: str) -> OperatorProcess:
        """One more ``ark-operator`` replica on the namespace (logging warnings), once ready."""
        operator = OperatorProcess(
            self.cp.kubeconfig, self.namespace, self.redis.url, "--log-level=warning", *flags
        )
        self.operators.append(operator)
        wait_for_sync(operator.ready, timeout=60, message="operator ready")
        return operator


@contextlib.contextmanager
def operator_stack(namespace: str) -> Iterator[Stack]:
    """A control plane with the CRDs and ``namespace``, and Redis; torn down on the way out."""
    cp = ControlPlane()
    cp.start()
    redis = RedisServer()
    redis.start()
    stack = Stack(namespace, cp, redis)
    try:
        install_crds(cp.kubeconfig, namespace)
        yield stack
    finally:
        for operator in reversed(stack.operators):
            with contextlib.suppress(Exception):
                operator.terminate(timeout=20)
            operator.close()
        redis.stop()
        cp.stop()
