#!/usr/bin/env bash
# Builds the helm CLI the chart tests use from its Go module into a cache
# outside the work tree, keyed by version:
#   ${ROBOSRE_HELM_CACHE:-$HOME/.cache/robosre/helm}/<HELM_VERSION>/helm
# A run with the binary in place does nothing but print its path (on stdout;
# progress goes to stderr). See docs/deploy.md.
#
# Why from source: no release binaries can be downloaded here, and
# helm.sh/helm/v3's go.mod has no replace directives, so `go install` of its
# cmd/helm at a tag builds exactly that release.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"
CACHE="${ROBOSRE_HELM_CACHE:-$HOME/.cache/robosre/helm}"
OUT="$CACHE/$HELM_VERSION"
BIN="$OUT/helm"

say() { echo "build.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || die "Go is required to build helm $HELM_VERSION (none on PATH)"
GO_VERSION="$(GOTOOLCHAIN=local go env GOVERSION)"

mkdir -p "$OUT"
# One build at a time: a concurrent caller waits for it, then finds the binary.
exec 9>"$OUT.lock"
if ! flock -n 9; then
  say "another build of $BIN is running; waiting for it"
  flock 9
fi
if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi

# Installed into a staging directory and renamed into place only once it
# reports its version, so $BIN is either the right helm or absent.
STAGE="$(mktemp -d "$OUT/.partial.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
started=$(date +%s)
say "building helm v$HELM_VERSION with $GO_VERSION into $BIN (a cold build takes a few minutes on 2 cores)"
log="$STAGE/build.log"
# Without -X, `helm version` reports the module's placeholder version.
if ! GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off GOBIN="$STAGE" \
  go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
  "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" >"$log" 2>&1; then
  cat "$log" >&2
  die "go install helm.sh/helm/v3/cmd/helm@v$HELM_VERSION failed"
fi
reported="$("$STAGE/helm" version --template '{{.Version}}')"
[[ "$reported" == "v$HELM_VERSION" ]] || die "the helm built reports $reported, not v$HELM_VERSION"
mv "$STAGE/helm" "$BIN"
say "done in $(( $(date +%s) - started ))s"
echo "$BIN"
