"""A small example controller on the ark.kube stack: copies a ConfigMap label to an annotation.

For every ConfigMap labelled ``ark.dev/copy=<value>`` it makes sure the
annotation ``ark.dev/copied`` holds ``<value>``, records a ``Copied`` Event when
it changes one (if given a recorder), and reads only from the informer cache.
"""

from __future__ import annotations

from ark.kube.client import KubeClient, NotFound
from ark.kube.controller import Controller, Result
from ark.kube.events import EventRecorder
from ark.kube.informer import SharedInformer
from ark.kube.metrics import Metrics
from ark.kube.resources import CONFIGMAPS
from ark.kube.store import split_key

LABEL = "ark.dev/copy"
ANNOTATION = "ark.dev/copied"


class LabelCopier:
    """Reconciler state: the cache to read and the client to write with."""

    def __init__(
        self, client: KubeClient, informer: SharedInformer, recorder: EventRecorder | None = None
    ) -> None:
        self.client = client
        self.informer = informer
        self.recorder = recorder

    async def reconcile(self, key: str) -> Result | None:
        """Make the annotation match the label for the ConfigMap ``key``."""
        configmap = self.informer.store.get(key)
        if configmap is None:
            return None  # deleted: nothing to clean up
        meta = configmap["metadata"]
        wanted = (meta.get("labels") or {}).get(LABEL)
        current = (meta.get("annotations") or {}).get(ANNOTATION)
        if wanted is None or wanted == current:
            return None
        namespace, name = split_key(key)
        try:
            await self.client.patch(
                CONFIGMAPS,
                name,
                {
                    "metadata": {
                        "annotations": {ANNOTATION: wanted},
                        "resourceVersion": meta["resourceVersion"],
                    }
                },
                namespace,
            )
        except NotFound:
            return None
        if self.recorder is not None:
            self.recorder.normal(
                configmap, "Copied", f"copied label {LABEL}={wanted} to annotation {ANNOTATION}"
            )
        return None


def label_copier_controller(
    client: KubeClient,
    informer: SharedInformer,
    *,
    workers: int = 4,
    metrics: Metrics | None = None,
    recorder: EventRecorder | None = None,
) -> tuple[Controller, LabelCopier]:
    """The controller wired to ``informer``, and its reconciler."""
    copier = LabelCopier(client, informer, recorder)
    controller = Controller("label-copier", copier.reconcile, workers=workers, metrics=metrics)
    controller.watch(informer)
    return controller, copier
