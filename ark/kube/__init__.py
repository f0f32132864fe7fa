"""ark.kube: a small asyncio port of client-go's controller machinery.

One concept per module, each with its interface in its docstring:

=================  ==========================================================
``lazy_import``    loads kubernetes_asyncio without its ~860 generated modules
``clock``          real and fake clocks (tests drive time by hand)
``ratelimit``      per-item exponential, token bucket, max-of; jittered backoff
``workqueue``      dirty/processing-set queue with delayed and rate-limited adds
``resources``      group/version/plural/kind descriptions and URL paths
``client``         JSON client on kubernetes_asyncio: CRUD, patches, SSA, status, raw watch
``store``          the keyed, indexed cache (namespace, owner UID, label indexes)
``reflector``      LIST + WATCH with resume, relist on 410, bookmarks, backoff
``informer``       shared informers: reflector + cache + event handlers + resync
``controller``     workers calling ``reconcile(key) -> Result``
``events``         core/v1 Event recorder with dedupe and aggregation
``conditions``     ``metav1.Condition`` helpers
``leaderelection`` Lease-based leader election
``metrics``        Prometheus metrics with controller-runtime's names
``manager``        runs it all, serves /healthz /readyz /metrics, stops gracefully
=================  ==========================================================

Objects are plain dicts as the API server sends them, never generated models.
"""

from ark.kube import lazy_import

# Before anything imports kubernetes_asyncio: we use its transport, not its generated models.
lazy_import.install()

from ark.kube.client import (
    AlreadyExists,
    ApiError,
    Conflict,
    Gone,
    Invalid,
    KubeClient,
    NotFound,
    PatchType,
    TransportError,
    WatchEvent,
    retry_on_conflict,
)
from ark.kube.controller import Controller, Result, generation_changed, owner_keys
from ark.kube.events import EventRecorder
from ark.kube.informer import EventHandler, InformerFactory, SharedInformer, wait_for_cache_sync
from ark.kube.leaderelection import LeaderElector, LeadershipLost
from ark.kube.manager import CacheSyncTimeout, Manager
from ark.kube.metrics import Metrics
from ark.kube.resources import Resource
from ark.kube.store import Indexer, object_key, split_key
from ark.kube.workqueue import ShutDown, WorkQueue

__all__ = [
    "AlreadyExists",
    "ApiError",
    "CacheSyncTimeout",
    "Conflict",
    "Controller",
    "EventHandler",
    "EventRecorder",
    "Gone",
    "Indexer",
    "InformerFactory",
    "Invalid",
    "KubeClient",
    "LeaderElector",
    "LeadershipLost",
    "Manager",
    "Metrics",
    "NotFound",
    "PatchType",
    "Resource",
    "Result",
    "SharedInformer",
    "ShutDown",
    "TransportError",
    "WatchEvent",
    "WorkQueue",
    "generation_changed",
    "object_key",
    "owner_keys",
    "retry_on_conflict",
    "split_key",
    "wait_for_cache_sync",
]
