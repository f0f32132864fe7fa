"""The ArkEvent controller (issue 11).

==============  =============================================================================
``controller``  the reconciler: cron and team-output fires, webhook token Secret, status
``runs``        the run one fire creates for one target; runs that hold a Forbid (pure)
``schedule``    when a cron source is due and when it fires next, ``@every`` included (pure)
``chains``      team-output links of raw events, and a run's trigger-lineage depth (pure)
``names``       deterministic names of the runs one fire creates (pure)
``firelimit``   per-event token buckets for webhook fires (pure, injected clock; used by ark.webhook)
``inputs``      a target's run input rendered from its templates over ``.trigger`` (pure)
==============  =============================================================================
"""
