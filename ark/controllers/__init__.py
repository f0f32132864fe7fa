"""Controllers: one package per kind, each a reconciler plugged into :mod:`ark.kube`.

``agent`` (ArkAgent -> Deployment), ``team`` (ArkTeam -> owned agents, status, budget, history),
``run`` (ArkRun: the run engine over Redis Streams), ``registry`` (ArkRegistry: the capability
index). Their pure modules hold the logic and do no I/O, so they are unit-tested on their own;
``budget``, ``cache`` and ``resources`` are shared.
"""
