"""Agent memory: what the runtime recalls before a task and remembers after it (reference §8).

The model never touches memory: the runtime recalls entries for a task, puts them in the prompt
inside an ``<ark:memory>`` envelope bounded by a token budget (:mod:`.prompt`), and remembers the
task and its answer once the result is committed (:mod:`.hook`). A memory that cannot be reached
is logged once per outage and left out (:mod:`.guard`); it never fails a task.

Modules, one job each: :mod:`.base` (entries, the backend protocol, scopes), :mod:`.prompt`
(envelope and budget), :mod:`.expiry` (TTL arithmetic), :mod:`.local` (in-process memory),
:mod:`.redis_memory` (the redis backend), :mod:`.embeddings` (``/v1/embeddings`` and the mock's
local vectors), :mod:`.vector` (the vector stores), :mod:`.vector_memory` (memory over a vector
store), :mod:`.outage` (one warning per outage), :mod:`.guard` (never raises, bounded in time),
:mod:`.writer` (writes after the commit), :mod:`.hook` (the consumer's side), :mod:`.select`
(from configuration to a memory).
"""
