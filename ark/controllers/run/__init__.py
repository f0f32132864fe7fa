"""The ArkRun controller: team runs driven by the run engine over Redis Streams.

===============  ==============================================================
``controller``   the reconcile: load, apply results, write status, then Redis
``inbox``        the leader's blocking read of every results stream
``dispatch``     the one Redis round trip after each status write
``planning``     a run's plan from its snapshot and the cached agents/registry
``messages``     pure translations between engine actions and queue entries
``metrics``      Prometheus series of runs
===============  ==============================================================
"""
