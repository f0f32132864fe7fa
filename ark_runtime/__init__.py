"""The program that runs in every agent pod; it knows nothing about Kubernetes."""

__version__ = "0.1.0"
