#!/usr/bin/env bash
# Runs every shell command of README.md's "Quick start" as written, in a fresh directory, and
# checks the output the README documents for it (the `# -> ` lines under a command, one per
# line of stdout, in order). Usage: scripts/readme-check.sh [BIN] (default: the binary the
# README builds, target/release/tenancy-gateway).
#
# Three substitutions, so that the check runs anywhere: `cargo run --release --` (and a bare
# `tenancy-gateway`) is BIN, so the check needs no release build; the service listens on a free
# port (TENANCY_LISTEN=127.0.0.1:0) that replaces 127.0.0.1:8000 and localhost:8000 in later
# commands and expected lines; /home/you/tenancy-gateway (the README's example checkout) is the
# fresh directory. A command ending in `serve` is started in the background and stopped at the
# end.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/release/tenancy-gateway}")
[ -x "$bin" ] || { echo "readme-check: no binary at $bin (cargo build --release)" >&2; exit 1; }
exec python3 - "$bin" README.md <<'PY'
import os, re, shlex, signal, subprocess, sys, tempfile, time

bin_path, readme = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
section = re.search(r"^## Quick start\n(.*?)^## ", text, re.S | re.M)
if not section:
    sys.exit("readme-check: README.md has no '## Quick start' section")
steps = []  # [command, [expected lines]]
for block in re.findall(r"```sh\n(.*?)```", section.group(1), re.S):
    for line in block.splitlines():
        if line.startswith("# -> "):
            steps[-1][1].append(line[5:])
        elif line.strip() and not line.startswith("#"):
            steps.append([line, []])
if len(steps) < 2:
    sys.exit(f"readme-check: expected the quick start's commands, found {steps}")

work = os.path.realpath(tempfile.mkdtemp(prefix="readme-check-"))
env = {k: v for k, v in os.environ.items() if not k.startswith("TENANCY_") and k != "DATABASE_URL"}
env["TENANCY_LISTEN"] = "127.0.0.1:0"
addr = None
server = None
failures = []

def substitute(s):
    s = s.replace("cargo run --release --", shlex.quote(bin_path))
    s = re.sub(r"(^|[;&|(]\s*)tenancy-gateway\b", lambda m: m.group(1) + shlex.quote(bin_path), s)
    s = s.replace("/home/you/tenancy-gateway", work)
    if addr:
        s = s.replace("127.0.0.1:8000", addr).replace("localhost:8000", addr)
    return s

def check(command, expected, got):
    want = [substitute(e) for e in expected]
    if got != want:
        failures.append(f"{command!r}:\n  expected {want}\n  got      {got}")
    else:
        print(f"ok   {command}")

try:
    for command, expected in steps:
        cmd = substitute(command)
        if re.search(r"\bserve\s*&?\s*$", command):
            # Its own process group: the shell may not exec the server, and both must stop.
            server = subprocess.Popen(cmd.rstrip(" &"), shell=True, cwd=work, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                      start_new_session=True)
            lines = [server.stdout.readline().rstrip("\n") for _ in expected]
            found = re.match(r"listening on http://(\S+)", lines[0] if lines else "")
            if not found:
                sys.exit(f"readme-check: {command!r} did not start: {lines}")
            addr = found.group(1)
            check(command, expected, lines)
            continue
        out = subprocess.run(cmd, shell=True, cwd=work, env=env, capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            failures.append(f"{command!r} exited {out.returncode}: {out.stderr.strip()[-500:]}")
            continue
        check(command, expected, out.stdout.splitlines())
finally:
    if server:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)

if failures:
    print("FAIL readme-check:\n" + "\n".join(failures))
    sys.exit(1)
print(f"PASS readme-check: {len(steps)} quick-start commands ran as README.md writes them")
PY
