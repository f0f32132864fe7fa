"""The ArkEvent controller (issue 11); so far only its pure parts.

=============  ==============================================================
``schedule``   when a cron source is due and when it fires next (pure)
``names``      deterministic names of the runs one fire creates (pure)
``firelimit``  per-event token buckets for webhook fires (pure, injected clock)
``inputs``     a target's run input rendered from its templates over ``.trigger`` (pure)
=============  ==============================================================
"""
