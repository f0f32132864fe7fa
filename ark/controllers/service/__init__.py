"""ArkService: the controller (a Service in front of the operator's task server, the status) and
the task server (``POST /v1/tasks`` becomes an ArkRun of the selected agent, answered from it)."""
