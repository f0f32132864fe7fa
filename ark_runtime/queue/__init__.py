"""The Redis Streams task protocol (architecture §4), shared by agent pods and the operator."""

from ark_runtime.queue.budget import DailyBudget, budget_key
from ark_runtime.queue.connection import Backoff, connect, ensure_group, is_outage
from ark_runtime.queue.consumer import Consumer, ConsumerSettings, Handler
from ark_runtime.queue.delegation import RedisDelegator, child_task_id, route_stream
from ark_runtime.queue.submit import ResultsReader, Submitter

__all__ = [
    "Backoff",
    "Consumer",
    "ConsumerSettings",
    "DailyBudget",
    "Handler",
    "RedisDelegator",
    "ResultsReader",
    "Submitter",
    "budget_key",
    "child_task_id",
    "connect",
    "ensure_group",
    "is_outage",
    "route_stream",
]
