#!/usr/bin/env bash
# Builds the pinned test tools (kube-apiserver, kube-controller-manager, kubectl, etcd, helm, promtool,
# nats-server, kind, and for the test node kubelet, kube-proxy, kube-scheduler and CoreDNS) from their
# Go modules into a cache folder outside the clone, skipping every tool already built from the same
# pins. A tool named by an override variable is not built.
#
#   C2C_TOOLS_DIR        cache folder (default: ${XDG_CACHE_HOME:-~/.cache}/click-to-call-in/tools)
#   KUBEBUILDER_ASSETS   a folder holding etcd, kube-apiserver and kubectl (controller-runtime layout)
#   C2C_<TOOL>           path of one binary, e.g. C2C_NATS_SERVER=/usr/local/bin/nats-server
#   C2C_SKIP_KIND=1      do not build kind (only the Docker end-to-end run needs it)
#   C2C_SKIP_NODE=1      do not build the test node's tools (kubelet, kube-proxy, kube-scheduler, coredns)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools_dir=${C2C_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/click-to-call-in/tools}
bin_dir="$tools_dir/bin"
stamp_dir="$tools_dir/stamps"
mkdir -p "$bin_dir" "$stamp_dir"

# One build at a time per cache folder (parallel test runs share it).
exec 9>"$tools_dir/.lock"
flock 9

# family directory | go package | binary name
targets=(
  "nats|github.com/nats-io/nats-server/v2|nats-server"
  "etcd|.|etcd"
  "k8s|k8s.io/kubernetes/cmd/kube-apiserver|kube-apiserver"
  "k8s|k8s.io/kubernetes/cmd/kube-controller-manager|kube-controller-manager"
  "k8s|k8s.io/kubernetes/cmd/kubectl|kubectl"
  "helm|helm.sh/helm/v3/cmd/helm|helm"
  "prometheus|github.com/prometheus/prometheus/cmd/promtool|promtool"
  "kind|sigs.k8s.io/kind|kind"
  "k8s|k8s.io/kubernetes/cmd/kube-scheduler|kube-scheduler"
  "k8s|k8s.io/kubernetes/cmd/kube-proxy|kube-proxy"
  "k8s|k8s.io/kubernetes/cmd/kubelet|kubelet"
  "coredns|.|coredns"
)
node_tools=" kube-scheduler kube-proxy kubelet coredns "

# Go's linker flags per family: the Kubernetes binaries and promtool get the version stamp that the
# upstream build gives them (otherwise they report v0.0.0-master, or no version).
ldflags_of() {
  local family=$1 flags='-s -w' version major minor pkg
  if [ "$family" = prometheus ]; then
    # Module v0.MMNN.P is release M.NN.P (v0.316.0 is Prometheus 3.16.0).
    version=$(awk '$1 == "require" && $2 == "github.com/prometheus/prometheus" { print $3 }' "$here/prometheus/go.mod")
    minor=${version#v0.}; minor=${minor%%.*}
    flags="$flags -X github.com/prometheus/common/version.Version=$((minor / 100)).$((minor % 100)).${version##*.}"
  fi
  if [ "$family" = k8s ]; then
    version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3 }' "$here/k8s/go.mod")
    major=${version#v}; major=${major%%.*}
    minor=${version#v*.}; minor=${minor%%.*}
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      flags="$flags -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
    done
  fi
  echo "$flags"
}

# Binaries that go into container images are linked statically.
cgo_of() {
  case $1 in coredns | nats) echo 0 ;; *) echo 1 ;; esac
}

override_for() {
  local name=$1 var
  var="C2C_$(echo "$name" | tr 'a-z-' 'A-Z_')"
  if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/$name" ]; then echo "$KUBEBUILDER_ASSETS/$name"; fi
}

pin_of() {
  local family=$1
  (cd "$here/$family" && cat go.mod go.sum ./*.go 2>/dev/null; go env GOVERSION GOOS GOARCH; ldflags_of "$family"; cgo_of "$family") | sha256sum | cut -c1-16
}

started=$(date +%s)
built=0
for target in "${targets[@]}"; do
  IFS='|' read -r family package name <<<"$target"
  if [ "$name" = kind ] && [ "${C2C_SKIP_KIND:-}" = 1 ]; then continue; fi
  if [[ "$node_tools" == *" $name "* ]] && [ "${C2C_SKIP_NODE:-}" = 1 ]; then continue; fi
  override=$(override_for "$name")
  if [ -n "$override" ]; then
    [ -x "$override" ] || { echo "tools: $name override '$override' is not an executable file" >&2; exit 1; }
    echo "tools: $name from $override (override, not built)"
    continue
  fi
  if ! command -v go >/dev/null 2>&1; then
    [ -x "$bin_dir/$name" ] && { echo "tools: $name cached (no Go here to check its pin)"; continue; }
    echo "tools: $name is missing and Go is not installed; install Go or point C2C_$(echo "$name" | tr 'a-z-' 'A-Z_') or KUBEBUILDER_ASSETS at a binary" >&2
    exit 1
  fi
  pin=$(pin_of "$family")
  if [ -x "$bin_dir/$name" ] && [ "$(cat "$stamp_dir/$name" 2>/dev/null)" = "$pin" ]; then
    echo "tools: $name up to date ($bin_dir/$name)"
    continue
  fi
  echo "tools: building $name from $family/go.mod ..."
  t0=$(date +%s)
  (cd "$here/$family" && CGO_ENABLED=$(cgo_of "$family") go build -ldflags="$(ldflags_of "$family")" -o "$bin_dir/$name.tmp" "$package")
  mv "$bin_dir/$name.tmp" "$bin_dir/$name"
  echo "$pin" >"$stamp_dir/$name"
  echo "tools: built $name in $(( $(date +%s) - t0 ))s"
  built=$((built + 1))
done
echo "tools: ready in $bin_dir ($built built, $(( $(date +%s) - started ))s)"
