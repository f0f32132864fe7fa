#!/usr/bin/env bash
# Installs the MCP reference server (npm @modelcontextprotocol/server-everything, pinned with
# every dependency by hack/mcp-reference/package-lock.json) into
#   ${ARK_CACHE:-$HOME/.cache/ark}/npm/server-everything/$MCP_EVERYTHING_VERSION/
# with `npm ci`; reused while the lock file is unchanged. Needs Node.js and npm; reaches only
# the npm registry. Prints the path of the server's executable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache="${ARK_CACHE:-$HOME/.cache/ark}/npm/server-everything/$MCP_EVERYTHING_VERSION"
bin="$cache/node_modules/.bin/mcp-server-everything"
grep -q "\"@modelcontextprotocol/server-everything\": \"$MCP_EVERYTHING_VERSION\"" "$here/mcp-reference/package.json" || {
  echo "install-mcp-reference.sh: hack/mcp-reference/package.json does not pin $MCP_EVERYTHING_VERSION" >&2
  exit 1
}
mkdir -p "$cache"
stamp=$(cat "$here/mcp-reference/package.json" "$here/mcp-reference/package-lock.json" | sha256sum | cut -d' ' -f1)

# One install at a time per cache (two test sessions in parallel must not race).
exec 9>"$cache/.lock"
flock 9

if [ -x "$bin" ] && [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp" ]; then
  echo "$bin"
  exit 0
fi
command -v node >/dev/null && command -v npm >/dev/null || {
  echo "install-mcp-reference.sh: Node.js and npm are needed (Debian: apt-get install nodejs npm)" >&2
  exit 1
}
rm -f "$cache/stamp"
cp "$here/mcp-reference/package.json" "$here/mcp-reference/package-lock.json" "$cache/"
npm ci --prefix "$cache" --omit=dev --no-audit --no-fund --loglevel=error >&2
[ -x "$bin" ] || { echo "install-mcp-reference.sh: $bin missing after npm ci" >&2; exit 1; }
echo "$stamp" >"$cache/stamp"
echo "$bin"
