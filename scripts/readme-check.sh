#!/usr/bin/env bash
# Runs the documented commands as written and checks the output the docs give for them (the
# `# -> ` lines under a command, one per line of stdout, in order; `...` in a line stands for
# any text (with the spaces around it), a line that is only `...` for any number of lines). Usage:
# scripts/readme-check.sh [BIN] (default: the binary the README builds,
# target/release/tenancy-gateway). docs/testing.md ("Commands in the docs") describes it.
#
# 1. Every shell command of README.md's "Quick start", one by one, in a fresh empty directory.
#    Three substitutions, so that the check runs anywhere: `cargo run --release --` (and a bare
#    `tenancy-gateway`) is BIN, so the check needs no release build; the service listens on a
#    free port (TENANCY_LISTEN=127.0.0.1:0) that replaces 127.0.0.1:8000 and localhost:8000 in
#    later commands and expected lines; /home/you/tenancy-gateway (the README's example
#    checkout) is the fresh directory. A command ending in `serve` is started in the background
#    and stopped at the end.
# 2. Every ```sh block of README.md and docs/*.md that the line `<!-- runnable -->` (or
#    `<!-- runnable: quick start -->`) precedes, as one shell script, in a fresh copy of the
#    repository's files (what a fresh clone holds), with BIN on the PATH as `tenancy-gateway`
#    and no TENANCY_* or DATABASE_URL in the environment. `quick start`: the Quick start's state
#    first (`tenancy-gateway seed --demo`, then `tenancy-gateway serve` running on a free port
#    that replaces 127.0.0.1:8000 and localhost:8000). Any other port the block names
#    (127.0.0.1:8001, localhost:8002) becomes a free one. Every command must exit 0, unless its
#    own comment says `exits N`; a command without `# -> ` lines may print anything; whatever
#    the block started is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/release/tenancy-gateway}")
[ -x "$bin" ] || { echo "readme-check: no binary at $bin (cargo build --release)" >&2; exit 1; }
exec python3 - "$bin" <<'PY'
import glob, os, re, shlex, shutil, signal, socket, subprocess, sys, tempfile, time

bin_path = sys.argv[1]
root = os.getcwd()
env0 = {k: v for k, v in os.environ.items() if not k.startswith("TENANCY_") and k != "DATABASE_URL"}
failures = []
scratch = []  # directories to remove at the end


def matches(expected, got):
    """Whether the lines `got` are what `expected` documents (`...` as described above)."""
    if not expected:
        return not got
    head, rest = expected[0], expected[1:]
    if head.strip() == "...":
        return any(matches(rest, got[i:]) for i in range(len(got) + 1))
    if not got:
        return False
    pattern = ".*".join(re.escape(part) for part in re.split(r"\s*\.\.\.\s*", head))
    return re.fullmatch(pattern, got[0]) is not None and matches(rest, got[1:])


def report(name, command, expected, got):
    if matches(expected, got):
        print(f"ok   {name}: {command.splitlines()[0]}")
    else:
        failures.append(f"{name}: {command!r}:\n  expected {expected}\n  got      {got}")


def start_server(cmd, cwd, env, expected_lines):
    """Starts `serve` in its own process group; returns the process and its first lines."""
    server = subprocess.Popen(cmd, shell=True, cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    lines = [server.stdout.readline().rstrip("\n") for _ in range(max(expected_lines, 1))]
    found = re.match(r"listening on http://(\S+)", lines[0])
    if not found:
        stop(server)
        sys.exit(f"readme-check: {cmd!r} did not start: {lines}")
    return server, lines, found.group(1)


def stop(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# 1. README.md's Quick start, command by command.

text = open("README.md", encoding="utf-8").read()
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
scratch.append(work)
env = dict(env0, TENANCY_LISTEN="127.0.0.1:0")
addr = None
server = None


def substitute(s):
    s = s.replace("cargo run --release --", shlex.quote(bin_path))
    s = re.sub(r"(^|[;&|(]\s*)tenancy-gateway\b", lambda m: m.group(1) + shlex.quote(bin_path), s)
    s = s.replace("/home/you/tenancy-gateway", work)
    if addr:
        s = s.replace("127.0.0.1:8000", addr).replace("localhost:8000", addr)
    return s


try:
    for command, expected in steps:
        cmd = substitute(command)
        if re.search(r"\bserve\s*&?\s*$", command):
            server, lines, addr = start_server(cmd.rstrip(" &"), work, env, len(expected))
            report("README.md", command, [substitute(e) for e in expected], lines)
            continue
        out = subprocess.run(cmd, shell=True, cwd=work, env=env, capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            failures.append(f"README.md: {command!r} exited {out.returncode}: {out.stderr.strip()[-500:]}")
            continue
        report("README.md", command, [substitute(e) for e in expected], out.stdout.splitlines())
finally:
    if server:
        stop(server)
quick_start = len(steps)

# 2. The blocks marked runnable in README.md and docs/*.md, each as one script.

MARK = re.compile(r"^<!-- runnable(?:: (quick start))? -->\n```sh\n(.*?)^```", re.S | re.M)
blocks = []  # (name, context, text)
for path in ["README.md"] + sorted(glob.glob("docs/*.md")):
    text = open(path, encoding="utf-8").read()
    for m in MARK.finditer(text):
        line = text[: m.start()].count("\n") + 2
        blocks.append((f"{path}:{line}", m.group(1), m.group(2)))
    for m in re.finditer(r"^<!-- runnable[^\n]*-->\n(?!```sh\n)", text, re.M):
        line = text[: m.start()].count("\n") + 1
        failures.append(f"{path}:{line}: a runnable mark must stand right above a ```sh block")

tracked = subprocess.run(["git", "ls-files", "-z"], capture_output=True, check=True).stdout
tracked = [f for f in tracked.decode().split("\0") if f]
bindir = tempfile.mkdtemp(prefix="readme-check-bin-")
scratch.append(bindir)
os.symlink(bin_path, os.path.join(bindir, "tenancy-gateway"))
block_env = dict(env0, PATH=bindir + os.pathsep + env0.get("PATH", ""))


def fresh_clone():
    """A directory with the repository's files as a fresh clone has them (the working tree's
    versions, so the check runs what is about to be committed)."""
    d = os.path.realpath(tempfile.mkdtemp(prefix="readme-check-docs-"))
    scratch.append(d)
    for f in tracked:
        if not os.path.lexists(f):
            continue  # deleted in the working tree
        os.makedirs(os.path.join(d, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(f, os.path.join(d, f), follow_symlinks=False)
    return d


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def commands(block):
    """[command, [expected lines]]: continuation lines joined, comment-only lines left out."""
    out, pending = [], None
    for line in block.splitlines():
        if pending is not None:
            pending += "\n" + line
            if not line.endswith("\\"):
                out.append([pending, []])
                pending = None
        elif line.startswith("# -> "):
            out[-1][1].append(line[5:])
        elif line.strip() and not line.lstrip().startswith("#"):
            if line.endswith("\\"):
                pending = line
            else:
                out.append([line, []])
    return out


for name, context, block in blocks:
    work = fresh_clone()
    server = None
    ports = {}
    if context == "quick start":
        seeded = subprocess.run(["tenancy-gateway", "seed", "--demo"], cwd=work, env=block_env,
                                capture_output=True, text=True, timeout=60)
        if seeded.returncode != 0:
            failures.append(f"{name}: seed --demo exited {seeded.returncode}: {seeded.stderr[-500:]}")
            continue
        server, _, ports["8000"] = start_server("exec tenancy-gateway serve", work,
                                                dict(block_env, TENANCY_LISTEN="127.0.0.1:0"), 1)
        ports["8000"] = ports["8000"].rsplit(":", 1)[1]
    for port in re.findall(r"(?:localhost|127\.0\.0\.1):(\d{4,5})\b", block):
        ports.setdefault(port, str(free_port()))

    def local(s):
        s = s.replace("cargo run --release --", "tenancy-gateway")
        s = s.replace("/home/you/tenancy-gateway", work)
        return re.sub(r"(localhost|127\.0\.0\.1):(\d{4,5})\b",
                      lambda m: f"{m.group(1)}:{ports.get(m.group(2), m.group(2))}", s)

    steps = commands(block)
    script = []
    for command, _ in steps:
        script.append(local(command))
        script.append("printf '\\n\\036%s\\n' \"$?\"")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(["bash", "-c", "\n".join(script)], cwd=work, env=block_env,
                                stdout=out, stderr=err, text=True, start_new_session=True)
        try:
            proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            failures.append(f"{name}: did not finish within 300 s")
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the block, and what it left running
            except ProcessLookupError:
                pass
            proc.wait()
            if server:
                stop(server)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    parts = stdout.split("\n\x1e")
    for i, (command, expected) in enumerate(steps):
        if i >= len(parts) - 1:
            failures.append(f"{name}: {command!r} never finished; stderr: {stderr.strip()[-500:]}")
            break
        output = parts[i] if i == 0 else parts[i].split("\n", 1)[1] if "\n" in parts[i] else ""
        status = int(parts[i + 1].split("\n", 1)[0])
        allowed = re.search(r"\s#.*\bexits (\d+)\b", command.splitlines()[-1])
        want = int(allowed.group(1)) if allowed else 0
        if status != want:
            failures.append(f"{name}: {command!r} exited {status}, not {want}; stderr: {stderr.strip()[-500:]}")
            break
        if expected:  # a command without documented output may print anything
            report(name, command, [local(e) for e in expected], output.splitlines())
        else:
            print(f"ok   {name}: {command.splitlines()[0]}")

for d in scratch:
    shutil.rmtree(d, ignore_errors=True)
if failures:
    print("FAIL readme-check:\n" + "\n".join(failures))
    sys.exit(1)
print(f"PASS readme-check: {quick_start} quick-start commands and {len(blocks)} runnable blocks "
      "ran as the docs write them")
PY
