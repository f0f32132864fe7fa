"""The ArkRegistry controller: a namespace's agent capabilities, indexed for routed teams.

==============  ===============================================================
``controller``  the reconcile and its watches
``index``       the capability index (pure)
==============  ===============================================================
"""
