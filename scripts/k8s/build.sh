#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager)
# from their Go modules into a cache outside the work tree, keyed by version.
# A second run with the cache in place does nothing but print its path.
# Why from source: no release binaries can be downloaded here, Debian's etcd is
# too old for Kubernetes 1.34, and `go install k8s.io/kubernetes/...` refuses
# because of the staging-module replace directives (golang/go#44840).
set -euo pipefail

# shellcheck source=versions.env
source "$(dirname "${BASH_SOURCE[0]}")/versions.env"
CACHE="${ROBOSRE_K8S_CACHE:-$HOME/.cache/robosre/k8s}"
OUT="$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
STAMP="$OUT/.complete"

if [[ -f "$STAMP" ]]; then
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: Go is required (go 1.24 or newer)" >&2; exit 1; }
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
started=$(date +%s)

echo "build.sh: etcd v$ETCD_VERSION" >&2
mkdir -p "$WORK/etcd"
cd "$WORK/etcd"
go mod init robosre.test/etcd >/dev/null 2>&1
go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >/dev/null
go build -trimpath -o "$OUT/etcd" go.etcd.io/etcd/server/v3

echo "build.sh: kube-apiserver and kube-controller-manager v$K8S_VERSION" >&2
mkdir -p "$WORK/k8s"
cd "$WORK/k8s"
MINOR="${K8S_VERSION#*.}"
STAGING="0.${MINOR}"
# Every staging module k8s.io/kubernetes replaces with a local path must point at its published version.
STAGING_MODULES=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' | xargs grep -o '=> ./staging/src/k8s.io/[a-z0-9-]*' | sed 's#=> ./staging/src/##' | sort -u)
{
  echo "module robosre.test/k8s"
  echo
  echo "go 1.24"
  echo
  echo "godebug default=go1.24"
  echo
  echo "require k8s.io/kubernetes v$K8S_VERSION"
  echo
  for m in $STAGING_MODULES; do echo "replace $m => $m v$STAGING"; done
} > go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
GO
go mod tidy >/dev/null 2>&1 || go mod tidy
LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDFLAGS="$LDFLAGS -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=${MINOR%%.*}"
done
for cmd in kube-apiserver kube-controller-manager; do
  go build -trimpath -ldflags "$LDFLAGS" -o "$OUT/$cmd" "k8s.io/kubernetes/cmd/$cmd"
done

echo "built in $(( $(date +%s) - started ))s on $(nproc) cores" > "$STAMP"
echo "build.sh: done in $(( $(date +%s) - started ))s" >&2
echo "$OUT"
