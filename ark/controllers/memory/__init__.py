"""The ArkMemory controller: is the memory backend there? (``Ready`` with a reason naming what failed.)

Modules: :mod:`.secret` (the memory's Secret: its key, its value, the digest agents roll on),
:mod:`.check` (what to check, from the spec alone, and when to check again), :mod:`.reach` (the
reachability check itself, bounded in time), :mod:`.controller` (status, Events, requeues).
"""
