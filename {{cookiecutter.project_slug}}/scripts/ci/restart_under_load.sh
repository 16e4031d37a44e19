#!/bin/sh
# A rolling restart of the Deployment under a steady request loop must fail no request.
# The loop runs in a pod of the cluster, from the image (scripts/ci/request_loop.py), against the
# Service, so it sees what any client in the cluster sees while pods drain and stop.
# Needs NAMESPACE, NAME (the Deployment and Service) and IMAGE (as loaded into the cluster).
set -eu

: "${NAMESPACE:?}" "${NAME:?}" "${IMAGE:?}"
loop_seconds=240
k() { kubectl --namespace "$NAMESPACE" "$@"; }

k run request-loop --image="$IMAGE" --restart=Never --command -- \
    python scripts/ci/request_loop.py "http://$NAME/health" "$loop_seconds"
k wait --for=condition=Ready pod/request-loop --timeout=60s
k rollout restart "deployment/$NAME"
k rollout status "deployment/$NAME" --timeout=5m
# The restart must have ended while the loop still ran; otherwise the loop proves nothing.
phase=$(k get pod request-loop --output 'jsonpath={.status.phase}')
if [ "$phase" != Running ]; then
    echo "restart_under_load: the loop ended ($phase) before the restart did" >&2
    k logs pod/request-loop >&2
    exit 1
fi
end=$(($(date +%s) + loop_seconds + 60))
while phase=$(k get pod request-loop --output 'jsonpath={.status.phase}'); do
    case "$phase" in Succeeded | Failed) break ;; esac
    if [ "$(date +%s)" -ge "$end" ]; then
        break
    fi
    sleep 5
done
k logs pod/request-loop
test "$phase" = Succeeded
