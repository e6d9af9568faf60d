#!/usr/bin/env bash
# End-to-end run on a kind cluster (needs a Docker engine): builds both images, loads them into a fresh
# cluster, installs NATS from the official chart and this chart, applies the example group, creates a
# call-in request through the allocator, matches it, and tears everything down.
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
KUBECTL="$(tool kubectl)"
HELM="$(tool helm)"
command -v docker >/dev/null 2>&1 || { echo "e2e: docker not found: this run needs a Docker engine" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "e2e: the Docker engine does not answer (docker info failed)" >&2; exit 1; }

step() { printf '\n=== %s\n' "$*"; }
kubeconfig="$(mktemp)"
export KUBECONFIG="$kubeconfig"
port_forward_pid=""

cleanup() {
  status=$?
  [ -n "$port_forward_pid" ] && kill "$port_forward_pid" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    echo "e2e: failed; what the cluster shows:" >&2
    "$KUBECTL" get pods,clicktocallingroups -A -o wide >&2 || true
    "$KUBECTL" logs -n "$namespace" -l app.kubernetes.io/component=operator --tail=50 >&2 || true
    "$KUBECTL" logs -n "$namespace" -l app.kubernetes.io/component=allocator --tail=50 >&2 || true
  fi
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

step "installing the click-to-call-in chart"
"$HELM" upgrade --install c2c charts/click-to-call-in --namespace "$namespace" \
  --set operator.image.repository="$prefix/operator" --set operator.image.tag="$tag" \
  --set operator.image.pullPolicy=Never \
  --set allocator.image.repository="$prefix/allocator" --set allocator.image.tag="$tag" \
  --set allocator.image.pullPolicy=Never \
  --set nats.url=nats://nats:4222 --set nats.kv.replicas=1 \
  --wait --timeout 5m
"$KUBECTL" rollout status deployment/c2c-click-to-call-in-operator -n "$namespace" --timeout=120s
"$KUBECTL" rollout status deployment/c2c-click-to-call-in-allocator -n "$namespace" --timeout=120s

step "the webhook refuses a group with an impossible number"
"$KUBECTL" create namespace "$groups_namespace"
# The operator writes the CA into the webhook configuration once its certificate exists: retry briefly.
refused=""
for _ in $(seq 1 30); do
  if out="$("$KUBECTL" apply -n "$groups_namespace" -f - 2>&1 <<'YAML'
apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata:
  name: impossible
spec:
  dnisPool:
    - number: '+999123'
YAML
  )"; then
    echo "e2e: the webhook let an impossible number through: $out" >&2
    exit 1
  fi
  if grep -q 'denied the request' <<<"$out"; then refused="$out"; break; fi
  sleep 2
done
[ -n "$refused" ] || { echo "e2e: the webhook never answered: $out" >&2; exit 1; }
echo "$refused"

step "applying the example group"
"$KUBECTL" apply -n "$groups_namespace" -f examples/auto-insurance.yaml
"$KUBECTL" wait -n "$groups_namespace" --for=condition=Ready clicktocallingroup/auto-insurance --timeout=120s
"$KUBECTL" get -n "$groups_namespace" clicktocallingroups

step "creating a call-in request through the allocator, then matching it"
"$KUBECTL" port-forward -n "$namespace" service/c2c-click-to-call-in-allocator 18080:80 >/dev/null &
port_forward_pid=$!
api=http://127.0.0.1:18080
for _ in $(seq 1 60); do
  curl -fsS "$api/readyz" >/dev/null 2>&1 && curl -fsS "$api/v1/groups" | grep -q auto_insurance && break
  sleep 1
done
created="$(curl -fsS -X POST "$api/v1/groups/auto_insurance/requests" -H 'content-type: application/json' \
  -d '{"callerNumber":"+14155550123","userData":{"policy":"A-1"}}')"
echo "created: $created"
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=process.argv[1].split(".").reduce((o,k)=>o?.[k],JSON.parse(s));console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"; }
number="$(json number <<<"$created")"
code="$(json accessCode <<<"$created")"
id="$(json id <<<"$created")"
matched="$(curl -fsS -X POST "$api/v1/match" -H 'content-type: application/json' \
  -d "{\"dialledNumber\":\"$number\",\"callerNumber\":\"+14155550123\",\"accessCode\":\"$code\"}")"
echo "matched: $matched"
[ "$(json request.id <<<"$matched")" = "$id" ] || { echo "e2e: the match returned another request" >&2; exit 1; }
[ "$(json request.userData.policy <<<"$matched")" = "A-1" ] || { echo "e2e: the match lost the user data" >&2; exit 1; }

step "uninstalling the chart (the CRD stays, by policy)"
"$HELM" uninstall c2c --namespace "$namespace" --wait
"$KUBECTL" get crd clicktocallingroups.clicktocall.dev >/dev/null

step "e2e passed"
