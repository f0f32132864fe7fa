#!/usr/bin/env bash
# Builds Jaeger (all-in-one: OTLP receiver, in-memory storage, query API) from its pinned Go
# module (hack/jaeger-build, JAEGER_VERSION in versions.env) into
#   ${ARK_CACHE:-$HOME/.cache/ark}/jaeger/$JAEGER_VERSION/bin/jaeger
# and reuses it while the stamp (version, Go version, wrapper go.mod/go.sum) matches.
# Prints the build time; with --print, only the binary's path. Needs Go and the module proxy.
# Built without the `ui` tag: the query service serves a placeholder page, its HTTP API works.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache="${ARK_CACHE:-$HOME/.cache/ark}/jaeger/$JAEGER_VERSION"
bin="$cache/bin"
mkdir -p "$cache"

stamp=$( { echo "$JAEGER_VERSION"; go version; cat "$here"/jaeger-build/go.{mod,sum}; } | sha256sum | cut -d' ' -f1)

exec 9>"$cache/.lock"
flock 9

if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp" ] && [ -x "$bin/jaeger" ]; then
  [ "${1:-}" = --print ] && echo "$bin/jaeger" || echo "jaeger $JAEGER_VERSION up to date in $bin"
  exit 0
fi

export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly"
started=$(date +%s)
out=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "building jaeger $JAEGER_VERSION..." >&2
(cd "$here/jaeger-build" && go build -ldflags "-s -w" \
  -o "$out/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger)
rm -rf "$bin"
mkdir -p "$bin"
mv "$out/jaeger" "$bin/jaeger"
echo "$stamp" >"$cache/stamp"
echo "jaeger $JAEGER_VERSION built in $(( $(date +%s) - started )) s into $bin" >&2
[ "${1:-}" = --print ] && echo "$bin/jaeger" || true
