"""The run engine: DAG, templates, step state machine; no Kubernetes, no Redis."""
