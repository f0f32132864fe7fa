"""The ArkNotify controller (issue 11, item 3).

==============  =============================================================================
``controller``  the reconciler: finds unsent events, sends them once, keeps the status
``events``      which run, budget and health events the teams and agents show (pure)
``render``      notification text from templates over both contexts of §4.1 (pure)
``channels``    Slack and webhook targets from Secrets, and request bodies (pure)
``ratelimit``   per (team or agent, event type) windows kept in the status (pure)
``delivery``    one HTTP POST with bounded timeouts, retries and backoff (httpx, tenacity)
==============  =============================================================================
"""
