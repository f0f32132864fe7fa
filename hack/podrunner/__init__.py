"""The pod runner: the kubelet's stand-in for the ark image in the local cluster.

kwok marks pods Ready but runs nothing. The runner watches the pods bound to the fake node
(``kwok-node-0``) whose container image is the ark image (``ghcr.io/arkonis-dev/ark``, any tag)
and runs each such container's ``command`` + ``args`` as a local process from the venv's bin
directory, with the environment a kubelet would build; it probes the container itself, writes
the pod status as a kubelet does (so the real controllers fill ``readyReplicas``), restarts
processes that exit with the kubelet's back-off, and stops them (SIGTERM, then SIGKILL after the
grace period) when their pod goes. kwok leaves those pods to it (:mod:`podrunner.stages`).

Run it (``make cluster-up`` does)::

    PYTHONPATH=hack .venv/bin/python -m podrunner --kubeconfig .cluster/kubeconfig --log-dir /tmp/pods

Modules, one job each:

* :mod:`podrunner.stages`: which pods are the runner's; the kwok stages that leave them to it
* :mod:`podrunner.env`: a container's environment, as the kubelet builds it
* :mod:`podrunner.serving`: the one deviation: served ports move to free loopback ports
* :mod:`podrunner.process`: starting, waiting for and stopping one process
* :mod:`podrunner.probes`: readiness, liveness and startup probes and their timing
* :mod:`podrunner.backoff`: the crash-loop back-off
* :mod:`podrunner.status`: the pod status, computed as the kubelet computes it
* :mod:`podrunner.container` / :mod:`podrunner.pod`: the lifecycle of a container / a pod
* :mod:`podrunner.images`: the images it runs (ark, and redis with ``--sandbox``) and their programs
* :mod:`podrunner.sandbox` / :mod:`podrunner.pod_sandbox`: ``--sandbox``: a container's own mount
  namespace with its volumes (:mod:`podrunner.volumes`), ``/etc/hosts`` and hostname
* :mod:`podrunner.services`: ``--sandbox``: Services at loopback addresses, proxied to their pods
* :mod:`podrunner.runner`: the watches, one worker per pod; ``__main__``: the command line

Deviations from a kubelet (``--sandbox`` lifts the volume, hostname, Service and service-link
ones, hack/README.md), all because the processes are plain processes of the current user on the
host: ports (above); ``podIP`` and ``hostIP`` are ``127.0.0.1``; no volumes (``/tmp`` is
the host's), no ``securityContext`` (processes run as the current user), no resource limits, no
service-link variables, no init or ephemeral containers, no ``kubectl logs``/``exec`` (the
logs are files, one per pod). Containers of other images in the same pod are not run and stay
``waiting`` (reason ``ContainerCreating``).
"""
