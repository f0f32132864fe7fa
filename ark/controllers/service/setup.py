"""Wires the ArkService controller and the task server into the operator's manager.

Interface::

    controller, reconciler, server = setup_services(manager, config)
"""

from __future__ import annotations

from ark.controllers.cache import Cache
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS, MANAGED_BY, MANAGED_BY_LABEL
from ark.controllers.service.controller import (
    ARK_SERVICES,
    ServiceOptions,
    ServiceReconciler,
    setup_service_controller,
)
from ark.controllers.service.server import TaskServer
from ark.kube.controller import Controller
from ark.kube.manager import Manager
from ark.kube.resources import DEPLOYMENTS
from ark.operator.config import OperatorConfig


def setup_services(
    manager: Manager, config: OperatorConfig
) -> tuple[Controller, ServiceReconciler, TaskServer]:
    """Add the ArkService controller (leader only) and the task server (every replica) to ``manager``.

    The server binds its port here, so a port in use stops the operator at start-up.
    """
    namespaces = list(config.namespaces)
    factory = manager.informers
    server = TaskServer(
        Cache(factory, ARK_SERVICES, namespaces),
        Cache(factory, ARK_RUNS, namespaces),
        Cache(factory, DEPLOYMENTS, namespaces, label_selector=f"{MANAGED_BY_LABEL}={MANAGED_BY}"),
        Cache(factory, ARK_TEAMS, namespaces),
        manager.client,
        host=config.service_host,
        port=config.service_port,
    )
    options = ServiceOptions(config.namespaces, min(config.workers, 4), server.port, config.service_backend)
    controller, reconciler = setup_service_controller(manager, options)
    manager.add_runnable(server.run, needs_leader=False)
    return controller, reconciler, server
