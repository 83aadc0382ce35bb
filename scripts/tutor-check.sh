#!/usr/bin/env bash
# The Tutor plugin (deploy/tutor) rendered by the real Tutor 22 and checked by the consumers of
# what it renders: docker-compose config, kubectl kustomize, caddy adapt, and BINARY started
# with exactly the rendered environment (deploy/tutor/tests/test_plugin.py). Makes the venv
# target/tutorvenv from the pinned deploy/tutor/tests/requirements.txt (and the other Tutor
# plugins it reads, plugins.txt) and installs the plugin into it. No Docker daemon is needed.
# What the machine lacks is said in one line; under CI that fails.
#
#   scripts/tutor-check.sh BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:?usage: scripts/tutor-check.sh BINARY}

missing=
for tool in docker-compose kubectl caddy; do
    command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    echo "Tutor plugin check not run: missing$missing (apt-get install -y docker-compose caddy; kubectl ships with the machine)" >&2
    [ -z "${CI:-}" ] || exit 1
    exit 0
fi

venv=target/tutorvenv
requirements=deploy/tutor/tests/requirements.txt
plugins=deploy/tutor/tests/plugins.txt
if [ ! -f "$venv/.installed" ] || [ "$requirements" -nt "$venv/.installed" ] \
    || [ "$plugins" -nt "$venv/.installed" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
        -r "$plugins"
    touch "$venv/.installed"
fi
# The plugin as an operator installs it (built with the pinned setuptools, nothing fetched).
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
    --force-reinstall ./deploy/tutor
TENANCY_BINARY="$PWD/$binary" PATH="$PWD/$venv/bin:$PATH" \
    "$venv/bin/python" -m unittest --verbose deploy/tutor/tests/test_plugin.py
