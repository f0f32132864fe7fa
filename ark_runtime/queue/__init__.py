"""The Redis Streams task protocol (architecture §4), shared by agent pods and the operator.

Import the submodule you need — ``connection`` (connect, backoff, outage detection),
``consumer`` (the agent side), ``submit`` (submitting tasks, reading results),
``delegation`` (delegate() over Redis), ``budget`` (the rolling daily token window) —
so that the operator does not load the agent's providers and tracing SDK.
"""
