"""Controllers: one module per kind, each a reconciler plugged into :mod:`ark.kube`.

``agent`` reconciles ArkAgents into Deployments of agent pods; its pure helpers
(``agent_prompt``, ``agent_deployment``, ``agent_status``, ``budget``) hold the
logic and do no I/O, so they are unit-tested on their own.
"""
