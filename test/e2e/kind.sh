#!/usr/bin/env bash
# End-to-end run on a kind cluster (needs a Docker engine): builds both images, loads them into a fresh
# cluster, installs NATS from the official chart, runs test/e2e/scenario.sh (this chart, the webhook,
# the example group, a call-in request created and matched through the allocator, uninstall), and
# tears everything down.
#
#   test/e2e/kind.sh                 # the whole run
#   C2C_E2E_KEEP=1 test/e2e/kind.sh  # keep the cluster afterwards (kind delete cluster --name c2c-e2e)
#
# kind, kubectl and helm come from the pinned test tools (npm run tools) when built, else from PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."

cluster="${C2C_E2E_CLUSTER:-c2c-e2e}"
namespace="${C2C_E2E_NAMESPACE:-click-to-call-in}"
groups_namespace=contact-centre
tag="${C2C_IMAGE_TAG:-e2e}"
prefix="${C2C_IMAGE_PREFIX:-click-to-call-in}"
# Empty: the newest release of the official NATS chart (its nats-server must be 2.11 or newer).
nats_chart_version="${NATS_CHART_VERSION:-}"
tools_bin="${C2C_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/click-to-call-in/tools}/bin"

tool() {
  if [ -x "$tools_bin/$1" ]; then echo "$tools_bin/$1"; elif command -v "$1" >/dev/null 2>&1; then command -v "$1"; else
    echo "e2e: $1 not found (run npm run tools, or put $1 on PATH)" >&2
    exit 1
  fi
}
KIND="$(tool kind)"
HELM="$(tool helm)"
command -v docker >/dev/null 2>&1 || { echo "e2e: docker not found: this run needs a Docker engine" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "e2e: the Docker engine does not answer (docker info failed)" >&2; exit 1; }

step() { printf '\n=== %s\n' "$*"; }
kubeconfig="$(mktemp)"
export KUBECONFIG="$kubeconfig"

# The scenario (test/e2e/scenario.sh) shows the cluster's pods and logs when it fails.
cleanup() {
  status=$?
  if [ "${C2C_E2E_KEEP:-0}" = 1 ]; then
    echo "e2e: cluster $cluster kept (KUBECONFIG=$kubeconfig)"
  else
    step "deleting cluster $cluster"
    "$KIND" delete cluster --name "$cluster" || true
    rm -f "$kubeconfig"
  fi
  exit "$status"
}
trap cleanup EXIT

step "creating kind cluster $cluster"
"$KIND" create cluster --name "$cluster" --kubeconfig "$kubeconfig" --wait 120s

step "building images ($prefix/operator:$tag, $prefix/allocator:$tag)"
C2C_IMAGE_TAG="$tag" C2C_IMAGE_PREFIX="$prefix" npm run --silent images
"$KIND" load docker-image --name "$cluster" "$prefix/operator:$tag" "$prefix/allocator:$tag"

step "installing NATS (official chart, JetStream on)"
"$HELM" repo add nats https://nats-io.github.io/k8s/helm/charts/ --force-update >/dev/null
"$HELM" upgrade --install nats nats/nats --namespace "$namespace" --create-namespace \
  ${nats_chart_version:+--version "$nats_chart_version"} \
  --set config.jetstream.enabled=true \
  --set config.jetstream.fileStore.pvc.size=1Gi \
  --set natsBox.enabled=false \
  --wait --timeout 5m

# The rest is the scenario the test node runs too (test/e2e/scenario.sh).
C2C_E2E_NAMESPACE="$namespace" C2C_E2E_GROUPS_NAMESPACE="$groups_namespace" C2C_IMAGE_TAG="$tag" \
  C2C_IMAGE_PREFIX="$prefix" test/e2e/scenario.sh

step "e2e passed"
