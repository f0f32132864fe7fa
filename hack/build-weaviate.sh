#!/usr/bin/env bash
# Builds Weaviate's server (github.com/weaviate/weaviate/cmd/weaviate-server, WEAVIATE_VERSION)
# from the pinned wrapper module hack/weaviate-build into
#   ${ARK_CACHE:-$HOME/.cache/ark}/weaviate/$WEAVIATE_VERSION/bin/weaviate-server
# and reuses it while the stamp (version, Go version, wrapper go.mod/go.sum) matches. Prints the
# build time and, last, the binary's path. Needs only Go and the Go module proxy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache="${ARK_CACHE:-$HOME/.cache/ark}/weaviate/$WEAVIATE_VERSION"
bin="$cache/bin"
mkdir -p "$cache"

stamp=$(
  {
    echo "$WEAVIATE_VERSION"
    go version
    cat "$here"/weaviate-build/go.{mod,sum}
  } | sha256sum | cut -d' ' -f1
)

# One build at a time per cache (two `make` runs in parallel must not race).
exec 9>"$cache/.lock"
flock 9

if [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp" ] && [ -x "$bin/weaviate-server" ]; then
  echo "$bin/weaviate-server"
  exit 0
fi

export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly"
started=$(date +%s)
out=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "building Weaviate $WEAVIATE_VERSION (weaviate-server)..." >&2
(cd "$here/weaviate-build" && nice go build -ldflags "-s -w" -o "$out/weaviate-server" \
  github.com/weaviate/weaviate/cmd/weaviate-server)

rm -rf "$bin"
mkdir -p "$bin"
mv "$out/weaviate-server" "$bin/"
echo "$stamp" >"$cache/stamp"
echo "Weaviate built in $(( $(date +%s) - started )) s into $bin" >&2
echo "$bin/weaviate-server"
