#!/usr/bin/env bash
# Builds the container image of tenancy-gateway (Containerfile at the root) without pulling
# anything from an image registry: the image is `scratch` plus a root filesystem assembled here
# from this machine's Debian packages (the binary, the shared libraries it links, a static
# busybox as /bin/sh, the CA roots, a passwd/group with the user 1000). Saves an archive under
# target/image/ and prints the image's size.
#
#   scripts/image.sh [BINARY] [--tag NAME] [--archive oci|docker|none]
#
# BINARY: the binary to package; without it the `dist` profile is built
# (`cargo build --profile dist --locked`, fat LTO: about ten minutes on two cores).
# --tag: the image name (default localhost/tenancy-gateway:VERSION).
# --archive: oci (default) writes target/image/NAME-TAG.oci.tar (tenancy-gateway-VERSION.oci.tar
# for the default name; layers compressed); docker writes NAME-TAG.docker.tar, a docker-archive
# (layers uncompressed) that keeps the HEALTHCHECK (the OCI image format has no
# health check field; Kubernetes and the Tutor plugin declare their own probes); none writes
# nothing and leaves the image in podman's local storage only.
# Needs: podman (or buildah), busybox-static, ca-certificates; root, or rootless podman.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=
tag=
archive=oci
while [ $# -gt 0 ]; do
    case $1 in
        --tag) tag=$2; shift 2 ;;
        --archive) archive=$2; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option $1; see scripts/image.sh --help" >&2; exit 2 ;;
        *) binary=$1; shift ;;
    esac
done
case $archive in oci|docker|none) ;; *) echo "--archive: oci, docker or none" >&2; exit 2 ;; esac

need() { command -v "$1" >/dev/null || { echo "missing $1: apt-get install -y $2" >&2; exit 1; }; }
if command -v podman >/dev/null; then builder=podman
elif command -v buildah >/dev/null; then builder=buildah
else echo "missing podman: apt-get install -y podman (or buildah)" >&2; exit 1
fi
need ldd libc-bin
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "missing $busybox: apt-get install -y busybox-static" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
    echo "$busybox links shared libraries: apt-get install -y busybox-static" >&2
    exit 1
fi
cacerts=/etc/ssl/certs/ca-certificates.crt
[ -f "$cacerts" ] || { echo "missing $cacerts: apt-get install -y ca-certificates" >&2; exit 1; }

if [ -z "$binary" ]; then
    echo "building the dist profile (cargo build --profile dist --locked)" >&2
    cargo build --profile dist --locked
    binary=target/dist/tenancy-gateway
fi
[ -x "$binary" ] || { echo "not an executable: $binary" >&2; exit 1; }
version=$("$binary" --version | awk '{print $2}')
tag=${tag:-localhost/tenancy-gateway:$version}

# The build context: rootfs/ becomes /, data/ becomes /data (owned by 1000).
context=target/image/context
rm -rf "$context"
mkdir -p "$context/rootfs/usr/local/bin" "$context/rootfs/bin" "$context/rootfs/etc/ssl/certs" \
    "$context/rootfs/tmp" "$context/data"
chmod 1777 "$context/rootfs/tmp"
# Symbols are not needed to run, and are most of an unstripped binary.
strip --strip-unneeded -o "$context/rootfs/usr/local/bin/tenancy-gateway" "$binary" 2>/dev/null \
    || cp "$binary" "$context/rootfs/usr/local/bin/tenancy-gateway"
# The shared libraries it links and the dynamic loader, at the paths ldd names.
ldd "$binary" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
    mkdir -p "$context/rootfs$(dirname "$lib")"
    cp -L "$lib" "$context/rootfs$lib"
done
cp "$busybox" "$context/rootfs/bin/busybox"
ln -s busybox "$context/rootfs/bin/sh"
cp -L "$cacerts" "$context/rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/bin/sh\ntenancy:x:1000:1000:tenancy-gateway:/data:/bin/sh\n' \
    >"$context/rootfs/etc/passwd"
printf 'root:x:0:\ntenancy:x:1000:\n' >"$context/rootfs/etc/group"
printf 'hosts: files dns\n' >"$context/rootfs/etc/nsswitch.conf"

# Docker format keeps HEALTHCHECK in the local image (OCI's config has no field for it).
if [ "$builder" = podman ]; then
    podman build --quiet --format docker --file Containerfile --tag "$tag" "$context" >/dev/null
else
    buildah build --quiet --format docker --file Containerfile --tag "$tag" "$context" >/dev/null
fi
size=$($builder image inspect --format '{{.Size}}' "$tag")
echo "image $tag: $size bytes ($(( (size + 524288) / 1048576 )) MiB uncompressed)"

# Named after the tag: localhost/tenancy-gateway:0.1.0 -> tenancy-gateway-0.1.0.oci.tar.
[ "$archive" = none ] && exit 0
base=${tag##*/}
out=target/image/${base%%:*}-${base##*:}.$archive.tar
rm -f "$out"
if [ "$builder" = podman ]; then
    podman save --quiet --format "$archive-archive" --output "$out" "$tag"
else
    buildah push --quiet "$tag" "$archive-archive:$out:$tag" >/dev/null
fi
echo "archive $out: $(stat -c %s "$out") bytes"
