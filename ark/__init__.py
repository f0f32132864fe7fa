"""ark: run LLM agents as Kubernetes resources (arkonis.dev/v1alpha1)."""

__version__ = "0.1.0"
