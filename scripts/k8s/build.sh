#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager)
# from their Go modules into a cache outside the work tree, keyed by version:
#   ${ROBOSRE_K8S_CACHE:-$HOME/.cache/robosre/k8s}/k8s-<K8S_VERSION>-etcd-<ETCD_VERSION>/
# A run with the cache in place does nothing but print its path (on stdout;
# progress goes to stderr). See docs/k8s-test-cluster.md.
#
# Why from source: no release binaries can be downloaded here, Debian's etcd
# (3.4) is too old for Kubernetes 1.34, and `go install k8s.io/kubernetes/...`
# refuses because that module replaces its staging modules with local paths
# (golang/go#44840), so a wrapper module replaces each with its published version.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"
CACHE="${ROBOSRE_K8S_CACHE:-$HOME/.cache/robosre/k8s}"
OUT="$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
STAMP="$OUT/.complete"

say() { echo "build.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ -f "$STAMP" ]]; then
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || die "Go 1.24 or newer is required to build the test control plane (none on PATH)"
GO_VERSION="$(GOTOOLCHAIN=local go env GOVERSION)"
[[ "$GO_VERSION" =~ ^go1\.([0-9]+) ]] && (( BASH_REMATCH[1] >= 24 )) \
  || die "Go 1.24 or newer is required to build Kubernetes $K8S_VERSION (found $GO_VERSION)"

mkdir -p "$CACHE"
# One build at a time: a concurrent caller waits for it, then finds the stamp.
exec 9>"$OUT.lock"
if ! flock -n 9; then
  say "another build of $OUT is running; waiting for it"
  flock 9
fi
if [[ -f "$STAMP" ]]; then
  echo "$OUT"
  exit 0
fi

# Build into a staging directory and move it into place whole, so $OUT is
# either complete (with its stamp) or absent.
STAGE="$OUT.partial"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK" "$STAGE"' EXIT
rm -rf "$STAGE"
mkdir -p "$STAGE"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off
started=$(date +%s)
say "building etcd v$ETCD_VERSION, kube-apiserver and kube-controller-manager v$K8S_VERSION with $GO_VERSION into $OUT"
say "(a cold build downloads ~1 GB of modules and takes 5-15 minutes on 2 cores)"

# Runs a command quietly, printing its output only when it fails.
quiet() {
  local log="$WORK/step.log"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    die "failed: $*"
  fi
}

# --- etcd: go.etcd.io/etcd/server/v3 builds as is (no replace directives).
say "etcd v$ETCD_VERSION: resolving modules"
mkdir -p "$WORK/etcd"
cd "$WORK/etcd"
quiet go mod init robosre.test/etcd
quiet go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
say "etcd v$ETCD_VERSION: compiling"
go build -trimpath -ldflags "-s -w" -o "$STAGE/etcd" go.etcd.io/etcd/server/v3
etcd_done=$(date +%s)

# --- Kubernetes: a wrapper module requiring k8s.io/kubernetes and replacing
# every staging module that its go.mod points at ./staging with the published
# v0.<minor>.<patch> of that module.
say "kubernetes v$K8S_VERSION: resolving modules"
mkdir -p "$WORK/k8s"
cd "$WORK/k8s"
MINOR="${K8S_VERSION#*.}"      # 34.4
STAGING_VERSION="v0.$MINOR"    # v0.34.4
UPSTREAM_GOMOD="$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
[[ -f "$UPSTREAM_GOMOD" ]] || die "could not download k8s.io/kubernetes@v$K8S_VERSION's go.mod"
STAGING_MODULES="$(grep -o '=> \./staging/src/k8s\.io/[A-Za-z0-9._-]*' "$UPSTREAM_GOMOD" | sed 's#=> \./staging/src/##' | sort -u || true)"
[[ -n "$STAGING_MODULES" ]] || die "found no staging modules in $UPSTREAM_GOMOD"
say "kubernetes v$K8S_VERSION: replacing $(wc -w <<<"$STAGING_MODULES") staging modules with $STAGING_VERSION"
{
  echo "module robosre.test/k8s"
  echo
  echo "go 1.24.0"
  echo
  echo "godebug default=go1.24"
  echo
  echo "require k8s.io/kubernetes v$K8S_VERSION"
  echo
  for m in $STAGING_MODULES; do echo "replace $m => $m $STAGING_VERSION"; done
} > go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
GO
quiet go mod tidy
# Without these, /version reports v0.0.0.
LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDFLAGS="$LDFLAGS -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=${MINOR%%.*} -X $pkg.gitTreeState=clean"
done
for cmd in kube-apiserver kube-controller-manager; do
  say "kubernetes v$K8S_VERSION: compiling $cmd"
  go build -trimpath -ldflags "$LDFLAGS" -o "$STAGE/$cmd" "k8s.io/kubernetes/cmd/$cmd"
done
k8s_done=$(date +%s)

# --- The binaries must say the versions they were built for.
etcd_version="$("$STAGE/etcd" --version)"
[[ "$etcd_version" == "etcd Version: $ETCD_VERSION"$'\n'* ]] \
  || die "the etcd built does not report version $ETCD_VERSION: ${etcd_version%%$'\n'*}"
for cmd in kube-apiserver kube-controller-manager; do
  [[ "$("$STAGE/$cmd" --version)" == "Kubernetes v$K8S_VERSION" ]] \
    || die "the $cmd built does not report v$K8S_VERSION: $("$STAGE/$cmd" --version)"
done

{
  echo "etcd=$ETCD_VERSION kubernetes=$K8S_VERSION go=$GO_VERSION cores=$(nproc)"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ): etcd $((etcd_done - started))s, kubernetes $((k8s_done - etcd_done))s, total $((k8s_done - started))s"
} > "$STAGE/.complete"
rm -rf "$OUT"
mv "$STAGE" "$OUT"
say "done in $((k8s_done - started))s (etcd $((etcd_done - started))s, kubernetes $((k8s_done - etcd_done))s)"
echo "$OUT"
