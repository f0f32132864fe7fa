"""ark.runs: the ArkRun record as everything that writes or reads one sees it.

=============  ==============================================================
``create``     the ArkRun a trigger creates (snapshot, resolved input, labels)
``outputs``    outputs too large for the status, kept in owned ConfigMaps
``retry``      which steps a retry reuses, and seeding a new run with them
=============  ==============================================================

The operator's controllers, ``ark trigger``/``status``/``retry`` and the event controller all go
through these modules, so a run looks the same whoever created it.
"""
