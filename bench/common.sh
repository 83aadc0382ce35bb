# What the import and follow benchmarks share (sourced from the repository root): PostgreSQL and
# MariaDB started by the project's scripts, the Python venv, and `bin`: TENANCY_BIN when set (a
# binary built already), else the release build made here.
# shellcheck source=scripts/pg.sh
source scripts/pg.sh
# shellcheck source=scripts/mariadb.sh
source scripts/mariadb.sh
# shellcheck source=scripts/pyvenv.sh
source scripts/pyvenv.sh

if [ -n "${TENANCY_BIN:-}" ]; then
    bin=$TENANCY_BIN
else
    cargo build --release --locked --quiet
    bin="${CARGO_TARGET_DIR:-target}/release/tenancy-gateway"
fi
pyvenv
