#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok
# from the pinned Go modules (hack/{k8s,etcd,kwok}-build) into
#   ${ARK_CACHE:-$HOME/.cache/ark}/k8s/$K8S_VERSION/bin
# and reuses them while the stamp (versions, Go version, wrapper go.sums)
# matches. Prints the build time. Needs only Go and the Go module proxy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache="${ARK_CACHE:-$HOME/.cache/ark}/k8s/$K8S_VERSION"
bin="$cache/bin"
mkdir -p "$cache"

stamp=$(
  {
    echo "$K8S_VERSION $ETCD_VERSION $KWOK_VERSION"
    go version
    cat "$here"/k8s-build/go.{mod,sum} "$here"/etcd-build/go.{mod,sum} "$here"/etcd-build/main.go \
        "$here"/kwok-build/go.{mod,sum}
  } | sha256sum | cut -d' ' -f1
)

# One build at a time per cache (two `make` runs in parallel must not race).
exec 9>"$cache/.lock"
flock 9

# kwok runs no stages unless configured: the upstream fast node/pod stages plus
# node heartbeats (without them the node controller marks the node NotReady).
write_stages() {
  local kwok_dir tmp f
  kwok_dir=$(cd "$here/kwok-build" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  tmp=$(mktemp "$cache/stages.XXXXXX")
  for f in "$kwok_dir"/kustomize/stage/node/fast/*.yaml "$kwok_dir"/kustomize/stage/node/heartbeat/*.yaml \
           "$kwok_dir"/kustomize/stage/pod/fast/*.yaml; do
    case "$(basename "$f")" in kustomization.yaml) continue ;; esac
    { echo "---"; cat "$f"; } >>"$tmp"
  done
  mv "$tmp" "$cache/kwok-stages.yaml"
}

if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp" ]; then
  write_stages
  echo "control plane binaries up to date in $bin"
  exit 0
fi

export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly"
started=$(date +%s)
out=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$out"' EXIT

build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ldflags+=" -X $p.gitTreeState=clean -X $p.gitCommit=ark-hack-build -X $p.buildDate=$build_date"
done

echo "building Kubernetes $K8S_VERSION (kube-apiserver, kube-controller-manager, kube-scheduler)..."
(cd "$here/k8s-build" && go build -ldflags "$ldflags" -o "$out/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler)
echo "building etcd $ETCD_VERSION..."
(cd "$here/etcd-build" && go build -ldflags "-s -w" -o "$out/etcd" .)
echo "building kwok $KWOK_VERSION..."
(cd "$here/kwok-build" && go build -ldflags "-s -w" -o "$out/kwok" sigs.k8s.io/kwok/cmd/kwok)

rm -rf "$bin"
mkdir -p "$bin"
mv "$out"/kube-apiserver "$out"/kube-controller-manager "$out"/kube-scheduler "$out"/etcd "$out"/kwok "$bin/"
write_stages
echo "$stamp" >"$cache/stamp"
echo "control plane built in $(( $(date +%s) - started )) s into $bin"
