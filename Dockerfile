# One image for ark-operator and ark-runtime (docs/operator.md, O1): both console scripts are in
# /opt/ark/bin on PATH and each Deployment names its program (`command: [ark-operator]`,
# `command: [ark-runtime]`), so the image sets no ENTRYPOINT. Build it with
# `make docker-build IMG=...` (README "Install it in a cluster", docs/operator.md "Install").
#
# The base is pinned by digest (docs/api.md D80): builds are repeatable and a re-tagged base
# never slips in. The digest below is NOT verified (no registry is reachable from the machines
# this was written on; README "Install it in a cluster"): resolve it before the first build.
# Both stages use the same base, so the virtualenv's interpreter link
# (/opt/ark/bin/python -> /usr/local/bin/python3.11) is valid in the final stage.

# Stage 1: build ark's wheel and install it with its dependencies into a virtualenv. Every
# dependency must come as a wheel (--only-binary): the base has no compiler and needs none.
FROM python:3.11-slim-bookworm@sha256:ce81dd5cbfc5f6ad4ad3e10b6ef8fa1fa3e1c3b1e0a47c8c2f3b4d8be0ef6ad2 AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY ark ./ark
COPY ark_runtime ./ark_runtime
RUN python -m venv /opt/ark \
 && /opt/ark/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/ark/bin/pip install --only-binary=:all: /wheels/*.whl \
 && /opt/ark/bin/pip uninstall --yes pip

# Stage 2: the virtualenv on the same base; no build tools, no RUN, nothing installed.
FROM python:3.11-slim-bookworm@sha256:ce81dd5cbfc5f6ad4ad3e10b6ef8fa1fa3e1c3b1e0a47c8c2f3b4d8be0ef6ad2
LABEL org.opencontainers.image.title="ark" \
      org.opencontainers.image.description="ark-operator and ark-runtime: LLM agents as Kubernetes resources (arkonis.dev/v1alpha1)" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /opt/ark /opt/ark
# Bytecode was compiled at install time; the root filesystem is read-only in the pods.
ENV PATH=/opt/ark/bin:/usr/local/bin:/usr/bin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# The manifests' runAsUser (65532, the distroless "nonroot" uid): never root.
USER 65532:65532
WORKDIR /tmp
CMD ["ark", "--help"]
