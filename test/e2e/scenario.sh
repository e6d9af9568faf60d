#!/usr/bin/env bash
# The end-to-end scenario on a cluster that already runs NATS (Service "nats" in the release namespace)
# and holds both images: installs this chart, checks that the webhook refuses a bad group, applies the
# example group, creates a call-in request through the allocator, matches it, and uninstalls. Run by
# test/e2e/kind.sh on kind and by the test node's tests (test/node/) on the node.
#
#   KUBECONFIG=... test/e2e/scenario.sh
#
#   C2C_E2E_NAMESPACE     release namespace (default click-to-call-in)
#   C2C_IMAGE_PREFIX      image prefix (default click-to-call-in)
#   C2C_IMAGE_TAG         image tag (default e2e)
#   C2C_E2E_CHART_ARGS    more `helm install` arguments, e.g. "--set crds.install=false"
#   C2C_E2E_PORT          the local port for kubectl port-forward (default 18080)
set -euo pipefail
cd "$(dirname "$0")/../.."

namespace="${C2C_E2E_NAMESPACE:-click-to-call-in}"
groups_namespace="${C2C_E2E_GROUPS_NAMESPACE:-contact-centre}"
tag="${C2C_IMAGE_TAG:-e2e}"
prefix="${C2C_IMAGE_PREFIX:-click-to-call-in}"
port="${C2C_E2E_PORT:-18080}"
tools_bin="${C2C_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/click-to-call-in/tools}/bin"

tool() {
  if [ -x "$tools_bin/$1" ]; then echo "$tools_bin/$1"; elif command -v "$1" >/dev/null 2>&1; then command -v "$1"; else
    echo "e2e: $1 not found (run npm run tools, or put $1 on PATH)" >&2
    exit 1
  fi
}
KUBECTL="$(tool kubectl)"
HELM="$(tool helm)"

step() { printf '\n=== %s\n' "$*"; }
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
  exit "$status"
}
trap cleanup EXIT

step "installing the click-to-call-in chart"
# shellcheck disable=SC2086 # C2C_E2E_CHART_ARGS is a list of arguments
"$HELM" upgrade --install c2c charts/click-to-call-in --namespace "$namespace" \
  --set operator.image.repository="$prefix/operator" --set operator.image.tag="$tag" \
  --set operator.image.pullPolicy=Never \
  --set allocator.image.repository="$prefix/allocator" --set allocator.image.tag="$tag" \
  --set allocator.image.pullPolicy=Never \
  --set nats.url=nats://nats:4222 --set nats.kv.replicas=1 \
  ${C2C_E2E_CHART_ARGS:-} \
  --wait --timeout 5m
"$KUBECTL" rollout status deployment/c2c-click-to-call-in-operator -n "$namespace" --timeout=120s
"$KUBECTL" rollout status deployment/c2c-click-to-call-in-allocator -n "$namespace" --timeout=120s

step "the webhook refuses a group with an impossible number"
"$KUBECTL" create namespace "$groups_namespace" --dry-run=client -o yaml | "$KUBECTL" apply -f -
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
"$KUBECTL" port-forward -n "$namespace" service/c2c-click-to-call-in-allocator "$port:80" >/dev/null &
port_forward_pid=$!
api="http://127.0.0.1:$port"
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
kill "$port_forward_pid" 2>/dev/null || true
port_forward_pid=""

step "uninstalling the chart (the CRD stays, by policy)"
"$HELM" uninstall c2c --namespace "$namespace" --wait
"$KUBECTL" get crd clicktocallingroups.clicktocall.dev >/dev/null

step "scenario passed"
