#!/usr/bin/env bash
# Builds the test cluster from Go modules into a cache outside the work tree,
# keyed by version, one directory per set of binaries, each with its stamp:
#   ${ROBOSRE_K8S_CACHE:-$HOME/.cache/robosre/k8s}/
#     k8s-<K8S_VERSION>-etcd-<ETCD_VERSION>/     etcd kube-apiserver kube-controller-manager
#     scheduler-<K8S_VERSION>-kwok-<KWOK_VERSION>/  kube-scheduler kwok (the kwok cluster)
# Each set is built only when its stamp is missing, so adding a set never
# rebuilds another. A run with every set in place does nothing but print their
# paths, one a line (on stdout; progress goes to stderr). See docs/k8s-test-cluster.md.
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
CORE="$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
CLUSTER="$CACHE/scheduler-$K8S_VERSION-kwok-$KWOK_VERSION"

say() { echo "build.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ -f "$CORE/.complete" && -f "$CLUSTER/.complete" ]]; then
  echo "$CORE"
  echo "$CLUSTER"
  exit 0
fi

command -v go >/dev/null || die "Go 1.24 or newer is required to build the test control plane (none on PATH)"
GO_VERSION="$(GOTOOLCHAIN=local go env GOVERSION)"
[[ "$GO_VERSION" =~ ^go1\.([0-9]+) ]] && (( BASH_REMATCH[1] >= 24 )) \
  || die "Go 1.24 or newer is required to build Kubernetes $K8S_VERSION (found $GO_VERSION)"

mkdir -p "$CACHE"
WORK="$(mktemp -d)"
STAGE=""
trap 'rm -rf "$WORK" ${STAGE:+"$STAGE"}' EXIT
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off

# Runs a command quietly, printing its output only when it fails.
quiet() {
  local log="$WORK/step.log"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    die "failed: $*"
  fi
}

MINOR="${K8S_VERSION#*.}"      # 34.4
STAGING_VERSION="v0.$MINOR"    # v0.34.4
# Without these, /version and --version report v0.0.0.
K8S_LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  K8S_LDFLAGS="$K8S_LDFLAGS -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=${MINOR%%.*} -X $pkg.gitTreeState=clean"
done

# Builds k8s.io/kubernetes/cmd/<name> for each name given into $STAGE, through
# a wrapper module requiring k8s.io/kubernetes and replacing every staging
# module that its go.mod points at ./staging with the published
# v0.<minor>.<patch> of that module; checks each reports v$K8S_VERSION.
build_kubernetes() {
  local dir="$WORK/k8s-$1" cmd
  say "kubernetes v$K8S_VERSION ($*): resolving modules"
  mkdir -p "$dir"
  cd "$dir"
  local upstream_gomod staging_modules
  upstream_gomod="$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$upstream_gomod" ]] || die "could not download k8s.io/kubernetes@v$K8S_VERSION's go.mod"
  staging_modules="$(grep -o '=> \./staging/src/k8s\.io/[A-Za-z0-9._-]*' "$upstream_gomod" | sed 's#=> \./staging/src/##' | sort -u || true)"
  [[ -n "$staging_modules" ]] || die "found no staging modules in $upstream_gomod"
  say "kubernetes v$K8S_VERSION: replacing $(wc -w <<<"$staging_modules") staging modules with $STAGING_VERSION"
  {
    echo "module robosre.test/k8s"
    echo
    echo "go 1.24.0"
    echo
    echo "godebug default=go1.24"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    for m in $staging_modules; do echo "replace $m => $m $STAGING_VERSION"; done
  } > go.mod
  {
    echo "//go:build tools"
    echo
    echo "package tools"
    echo
    echo "import ("
    for cmd in "$@"; do echo "	_ \"k8s.io/kubernetes/cmd/$cmd\""; done
    echo ")"
  } > tools.go
  quiet go mod tidy
  for cmd in "$@"; do
    say "kubernetes v$K8S_VERSION: compiling $cmd"
    go build -trimpath -ldflags "$K8S_LDFLAGS" -o "$STAGE/$cmd" "k8s.io/kubernetes/cmd/$cmd"
    [[ "$("$STAGE/$cmd" --version)" == "Kubernetes v$K8S_VERSION" ]] \
      || die "the $cmd built does not report v$K8S_VERSION: $("$STAGE/$cmd" --version)"
  done
}

# --- etcd, kube-apiserver, kube-controller-manager: the test control plane.
build_core() {
  local started etcd_done k8s_done etcd_version
  say "(a cold build downloads ~1 GB of modules and takes 5-15 minutes on 2 cores)"
  started=$(date +%s)
  # go.etcd.io/etcd/server/v3 builds as is (no replace directives).
  say "etcd v$ETCD_VERSION: resolving modules"
  mkdir -p "$WORK/etcd"
  cd "$WORK/etcd"
  quiet go mod init robosre.test/etcd
  quiet go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  say "etcd v$ETCD_VERSION: compiling"
  go build -trimpath -ldflags "-s -w" -o "$STAGE/etcd" go.etcd.io/etcd/server/v3
  etcd_version="$("$STAGE/etcd" --version)"
  [[ "$etcd_version" == "etcd Version: $ETCD_VERSION"$'\n'* ]] \
    || die "the etcd built does not report version $ETCD_VERSION: ${etcd_version%%$'\n'*}"
  etcd_done=$(date +%s)
  build_kubernetes kube-apiserver kube-controller-manager
  k8s_done=$(date +%s)
  {
    echo "etcd=$ETCD_VERSION kubernetes=$K8S_VERSION go=$GO_VERSION cores=$(nproc)"
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ): etcd $((etcd_done - started))s, kubernetes $((k8s_done - etcd_done))s, total $((k8s_done - started))s"
  } > "$STAGE/.complete"
}

# --- kube-scheduler and kwok: what turns the control plane into the kwok cluster.
build_cluster() {
  local started scheduler_done kwok_done reported
  say "(cold: about 5 more minutes on 2 cores; with the control plane's modules cached, 3-6 minutes)"
  started=$(date +%s)
  build_kubernetes kube-scheduler
  scheduler_done=$(date +%s)
  # sigs.k8s.io/kwok has no replace directives: `go install` at the tag builds that release.
  say "kwok v$KWOK_VERSION: go install sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  GOBIN="$STAGE" quiet go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  reported="$("$STAGE/kwok" --version)"
  [[ "$reported" == "kwok version v$KWOK_VERSION "* ]] \
    || die "the kwok built does not report version $KWOK_VERSION: $reported"
  kwok_done=$(date +%s)
  {
    echo "kubernetes=$K8S_VERSION kwok=$KWOK_VERSION go=$GO_VERSION cores=$(nproc)"
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ): kube-scheduler $((scheduler_done - started))s, kwok $((kwok_done - scheduler_done))s, total $((kwok_done - started))s"
  } > "$STAGE/.complete"
}

# Makes sure the set in directory $1 is built, by function $2 unless its stamp
# is there. One build of a set at a time: a concurrent caller waits for the
# lock (flock on <dir>.lock), then finds the stamp. The set is built into
# <dir>.partial and renamed into place whole, so <dir> is complete or absent.
ensure() {
  local out="$1" build="$2" lock started
  if [[ ! -f "$out/.complete" ]]; then
    exec {lock}>"$out.lock"
    if ! flock -n "$lock"; then
      say "another build of $out is running; waiting for it"
      flock "$lock"
    fi
    if [[ ! -f "$out/.complete" ]]; then
      STAGE="$out.partial"
      rm -rf "$STAGE"
      mkdir -p "$STAGE"
      say "building $(basename "$out") with $GO_VERSION into $out"
      started=$(date +%s)
      "$build"
      rm -rf "$out"
      mv "$STAGE" "$out"
      STAGE=""
      say "$(basename "$out") done in $(( $(date +%s) - started ))s"
    fi
    exec {lock}>&-
  fi
  echo "$out"
}

ensure "$CORE" build_core
ensure "$CLUSTER" build_cluster
