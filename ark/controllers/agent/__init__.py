"""The ArkAgent controller: declared agents become a Deployment of ready agent pods.

==============  ===============================================================
``controller``  the reconcile and its watches
``deployment``  the Deployment of an agent and its environment (pure)
``prompt``      the system prompt and where it comes from (pure)
``status``      replicas, budget and conditions (pure)
``references``  indexes from ConfigMaps, Secrets, ArkSettings, ArkMemories to agents
==============  ===============================================================
"""
