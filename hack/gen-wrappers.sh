#!/usr/bin/env bash
# Regenerates the Go wrapper modules in hack/{k8s,etcd,kwok}-build from the
# go.mod files that the module proxy serves for the pinned releases.
#
# k8s.io/kubernetes maps every staging module to ./staging/src/... and requires
# them at v0.0.0, so it cannot be built with `go install pkg@version`. As the
# main module, the wrapper replaces each staging module with its published
# v0.X.Y release; the list comes from the proxied go.mod, never typed by hand.
# Run after changing hack/versions.env; commit the resulting go.mod/go.sum.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
export GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=mod

k8s_gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
go_line=$(sed -n 's/^go \(.*\)/\1/p' "$k8s_gomod")
godebug_line=$(sed -n 's/^godebug \(.*\)/\1/p' "$k8s_gomod")
staging_version="v0.${K8S_VERSION#v1.}"

new_module() {  # dir module-path
  rm -f "$1/go.mod" "$1/go.sum"
  (cd "$1" && go mod init "$2" >/dev/null 2>&1 && go mod edit -go="$go_line")
}

mkdir -p "$here/k8s-build"
new_module "$here/k8s-build" ark.local/hack/k8s-build
(
  cd "$here/k8s-build"
  [ -n "$godebug_line" ] && go mod edit -godebug="$godebug_line"
  for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*#\1#p' "$k8s_gomod"); do
    go mod edit -replace="$m=$m@$staging_version"
  done
  go get -tool \
    "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-scheduler@$K8S_VERSION"
)

mkdir -p "$here/etcd-build"
new_module "$here/etcd-build" ark.local/hack/etcd-build
(
  cd "$here/etcd-build"
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go mod tidy
)

mkdir -p "$here/kwok-build"
new_module "$here/kwok-build" ark.local/hack/kwok-build
(
  cd "$here/kwok-build"
  go get -tool "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
)
echo "wrappers regenerated: $(grep -c '=> k8s.io' "$here/k8s-build/go.mod") staging replaces at $staging_version"
