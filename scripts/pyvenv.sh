# The Python venv of the tests and benchmarks (sourced): `pyvenv` makes target/pyvenv from the
# pinned tests/python/requirements.txt when it is missing or older than the pins, and sets
# `venv` to its path. The packages come from PyPI, once; nothing is fetched when it is current.
pyvenv() {
    venv=target/pyvenv
    if [ ! -f "$venv/.installed" ] || [ tests/python/requirements.txt -nt "$venv/.installed" ]; then
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
        touch "$venv/.installed"
    fi
}
