#!/usr/bin/env bash
# The container image, built and run for real: scripts/image.sh packages BINARY (a release
# build), the OCI archive it saves is loaded back, and podman runs that image. Checks: /readyz
# and a GraphQL query through the published port, the HEALTHCHECK (`probe`), a Tutor-style job
# (`sh -e -c` with migrate and seed) in the running container, the user (uid 1000) and the
# /data volume, and a clean stop on SIGTERM.
# Where this machine cannot run containers it says so in one line, and fails under CI.
#
#   scripts/image-check.sh BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:?usage: scripts/image-check.sh BINARY (a release or dist build, e.g. target/dist/tenancy-gateway)}

unable() {
    echo "image check not run: $*" >&2
    [ -z "${CI:-}" ] || exit 1
    exit 0
}
command -v podman >/dev/null || unable "podman is not installed (apt-get install -y podman runc busybox-static)"
[ -x /bin/busybox ] || unable "busybox-static is not installed (apt-get install -y busybox-static)"

tag=localhost/tenancy-gateway:image-check
start=$(date +%s)
mkdir -p target/image
bash scripts/image.sh "$binary" --tag "$tag" --archive oci | tee target/image/check.txt
archive=$(sed -n 's/^archive \([^:]*\):.*/\1/p' target/image/check.txt)
# The built image declares the health check (the OCI archive cannot carry it: its format has
# no field for it, so the archive's image is probed below by running the same command).
healthcheck=$(podman image inspect --format '{{json .Config.Healthcheck.Test}}' "$tag")
[ "$healthcheck" = '["CMD","tenancy-gateway","probe","http://127.0.0.1:8000/readyz"]' ] \
    || { echo "image check FAILED: HEALTHCHECK is $healthcheck" >&2; exit 1; }
# What runs is what the archive holds.
podman rmi --force "$tag" >/dev/null
podman load --quiet --input "$archive" >/dev/null
echo "built, saved and loaded in $(( $(date +%s) - start )) s"

# runc: crun cannot start containers on some hosts (this kind of VM among them). Limits at or
# above the host's cannot be set in some sandboxes, so the container asks for lower ones.
run_opts=(--ulimit nofile=16384:16384 --ulimit nproc=8192:8192)
command -v runc >/dev/null && run_opts+=(--runtime runc)
log=target/image/podman.log
cid=$(podman run --detach "${run_opts[@]}" --publish 127.0.0.1::8000 "$tag" 2>"$log") \
    || unable "podman cannot run a container here: $(tail -n 1 "$log")"
cleanup() {
    podman rm --force --time 1 "$cid" >/dev/null 2>&1 || true
    podman rmi --force "$tag" >/dev/null 2>&1 || true
}
trap cleanup EXIT
port=$(podman port "$cid" 8000/tcp | sed 's/.*://')
base=http://127.0.0.1:$port

fail() {
    echo "image check FAILED: $*" >&2
    podman logs "$cid" 2>&1 | tail -n 20 >&2
    exit 1
}
ready=
for _ in $(seq 1 60); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ]; then ready=1; break; fi
    sleep 0.5
done
[ -n "$ready" ] || fail "/readyz did not answer 200 within 30 s"
[ "$(curl -s "$base/readyz")" = ready ] || fail "/readyz body"

# A Tutor init job runs `sh -e -c` in the image.
podman exec "$cid" sh -e -c 'tenancy-gateway migrate && tenancy-gateway seed --demo' >/dev/null 2>&1 \
    || fail "sh -e -c with migrate and seed"
answer=$(curl -s -H 'content-type: application/json' \
    -d '{"query":"{ organization(shortName: \"MITx\") { name } organizations { totalCount } }"}' \
    "$base/graphql")
[ "$answer" = '{"data":{"organization":{"name":"Massachusetts Institute of Technology"},"organizations":{"totalCount":6}}}' ] \
    || fail "GraphQL answered $answer"

podman exec "$cid" tenancy-gateway probe http://127.0.0.1:8000/readyz >/dev/null \
    || fail "the health check command (tenancy-gateway probe) did not pass"
[ "$(podman exec "$cid" sh -c 'id -u')" = 1000 ] || fail "the service does not run as uid 1000"
[ "$(podman exec "$cid" sh -c 'stat -c %u /data/tenancy.db')" = 1000 ] || fail "/data/tenancy.db not owned by 1000"
podman inspect --format '{{range .Mounts}}{{.Destination}}{{end}}' "$cid" | grep -qx /data \
    || fail "/data is not a volume"

podman stop --time 10 "$cid" >/dev/null
code=$(podman inspect --format '{{.State.ExitCode}}' "$cid")
[ "$code" = 0 ] || fail "exit status $code after SIGTERM"
size=$(podman image inspect --format '{{.Size}}' "$tag")
echo "image check passed: $tag, $size bytes, readyz/GraphQL/healthcheck/sh job/uid 1000/volume/clean stop"
