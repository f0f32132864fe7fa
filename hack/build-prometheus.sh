#!/usr/bin/env bash
# Builds prometheus and promtool from their pinned Go module (hack/prometheus-build,
# PROMETHEUS_VERSION in versions.env) into
#   ${ARK_CACHE:-$HOME/.cache/ark}/prometheus/$PROMETHEUS_VERSION/bin/{prometheus,promtool}
# and reuses them while the stamp (version, Go version, wrapper go.mod/go.sum) matches.
# Prints the build time; with --print, only the bin directory. Needs Go and the module proxy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache="${ARK_CACHE:-$HOME/.cache/ark}/prometheus/$PROMETHEUS_VERSION"
bin="$cache/bin"
mkdir -p "$cache"

stamp=$( { echo "$PROMETHEUS_VERSION"; go version; cat "$here"/prometheus-build/go.{mod,sum}; } | sha256sum | cut -d' ' -f1)

exec 9>"$cache/.lock"
flock 9

if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp" ] && [ -x "$bin/prometheus" ] && [ -x "$bin/promtool" ]; then
  [ "${1:-}" = --print ] && echo "$bin" || echo "prometheus $PROMETHEUS_VERSION up to date in $bin"
  exit 0
fi

export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly"
started=$(date +%s)
out=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "building prometheus $PROMETHEUS_VERSION..." >&2
# No `builtinassets` tag: the web UI is left out (the tests use the HTTP API only), which
# spares the npm build of the UI. The version ldflag makes `prometheus --version` honest.
ldflags="-s -w -X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION#v}"
(cd "$here/prometheus-build" && go build -ldflags "$ldflags" -o "$out/prometheus" \
  github.com/prometheus/prometheus/cmd/prometheus \
  && go build -ldflags "$ldflags" -o "$out/promtool" github.com/prometheus/prometheus/cmd/promtool)
rm -rf "$bin"
mkdir -p "$bin"
mv "$out/prometheus" "$out/promtool" "$bin/"
echo "$stamp" >"$cache/stamp"
echo "prometheus $PROMETHEUS_VERSION built in $(( $(date +%s) - started )) s into $bin" >&2
[ "${1:-}" = --print ] && echo "$bin" || true
