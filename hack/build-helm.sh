#!/usr/bin/env bash
# Builds helm from its pinned Go module (hack/helm-build, HELM_VERSION in versions.env) into
#   ${ARK_CACHE:-$HOME/.cache/ark}/helm/$HELM_VERSION/bin/helm
# and reuses it while the stamp (version, Go version, wrapper go.mod/go.sum) matches.
# Prints the build time; with --print, only the binary's path. Needs Go and the module proxy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache="${ARK_CACHE:-$HOME/.cache/ark}/helm/$HELM_VERSION"
bin="$cache/bin"
mkdir -p "$cache"

stamp=$( { echo "$HELM_VERSION"; go version; cat "$here"/helm-build/go.{mod,sum}; } | sha256sum | cut -d' ' -f1)

exec 9>"$cache/.lock"
flock 9

if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp" ] && [ -x "$bin/helm" ]; then
  [ "${1:-}" = --print ] && echo "$bin/helm" || echo "helm $HELM_VERSION up to date in $bin"
  exit 0
fi

export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly"
started=$(date +%s)
out=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "building helm $HELM_VERSION..." >&2
# Without the version ldflag `helm version` reports only v4.3.
(cd "$here/helm-build" && go build \
  -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
  -o "$out/helm" helm.sh/helm/v4/cmd/helm)
rm -rf "$bin"
mkdir -p "$bin"
mv "$out/helm" "$bin/helm"
echo "$stamp" >"$cache/stamp"
echo "helm $HELM_VERSION built in $(( $(date +%s) - started )) s into $bin" >&2
[ "${1:-}" = --print ] && echo "$bin/helm" || true
