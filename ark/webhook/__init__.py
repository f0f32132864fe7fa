"""The trigger webhook server (issue 11, item 2; reference §6.3), served by every replica.

==========  ===============================================================================
``app``     the ASGI app: ``POST /triggers/{namespace}/{name}/fire`` and ``/healthz``
``auth``    the caller's token (Bearer header or ``?token=``), compared in constant time
``body``    the body read bounded in size (1 MiB) and time, then as a JSON object
``fire``    the runs one fire creates, one per target
``sync``    waiting for a run's end, woken by the runs informer
``tracing`` the fire's root span ``ark.trigger`` and the traceparent its runs carry
``server``  uvicorn on a socket bound up front, a manager runnable of every replica
==========  ===============================================================================
"""
