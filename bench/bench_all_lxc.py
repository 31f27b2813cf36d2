"""`lxc` client program of the common benchmark (issue 14; the contract every
client program follows is bench/run-all.sh's): the workloads done with LXD's
own command-line client, one `lxc` process per command, as a shell user
would, timed from spawn to exit. Runs with the system's python3.

    BENCH_PREFIX=bench-all- BENCH_TMP=/tmp/x python3 bench/bench_all_lxc.py

One call of each workload is:
- get_instance: `lxc query /1.0/instances/NAME` (JSON parsed, name checked).
- list_and_read_config: `lxc list --format json` (parsed; every key and value
  of config of each PREFIXlN read). lxc asks for more than the contract's
  recursion=1 (the JSON format carries each instance's state and snapshots
  too): that is what the command costs.
- exec_true: `lxc exec NAME -- true`, stdin and stdout not terminals
  (/dev/null, a pipe), so lxc runs it non-interactive; must exit 0.
- set_config_update: `lxc config set NAME user.bench=<i>` (lxc does the get,
  the PUT with If-Match and the wait itself).
- file_push: `lxc file push --mode=0644 --uid=0 --gid=0 SRC NAME/tmp/bench-lxc.bin`
  (the flags only pin what the contract asks; lxc streams the file).
- file_pull: `lxc file pull NAME/tmp/bench-lxc.bin DST`.
- lifecycle: `lxc init busybox X`, `lxc start X`, `lxc exec X -- true`,
  `lxc stop -f X`, `lxc delete X` (the five commands are one call). With
  LIFE_THREADS > 1, that many threads each run their share of the calls.

cpu_s is the user+system CPU of the lxc processes over the loop (getrusage
RUSAGE_CHILDREN deltas; this program's own CPU is not counted), and
peak_rss_kb is RUSAGE_CHILDREN's ru_maxrss: the peak RSS of the largest lxc
process, not of this program. lxc talks to the local unix socket only here:
with BENCH_HTTPS=1 the program prints the info line and
{"client":"lxc","skipped":"https"} and exits 0.
"""

import json
import os
import resource
import shutil
import subprocess
import sys

from bench_common import (BASE, HTTPS, LIFE_THREADS, LIFECYCLE, LIST_RE, N_EXEC, N_GET, N_LIFE,
                          N_LIST, N_SET, PREFIX, PULLED, REMOTE, SOCKET, SRC, CLIENT, emit, err,
                          life_name, line, run_lifecycles, run_workloads, sha256_file)
from bench_common import timed_loop as timed_with


LXC = shutil.which("lxc") or "lxc"

def lxc(*args, out=False):
    """Runs `lxc ARGS` (stdin /dev/null); returns its stdout if out. Raises
    with lxc's stderr if it exits non-zero."""
    r = subprocess.run(
        [LXC, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if out else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if r.returncode != 0:
        raise RuntimeError(
            f"lxc {' '.join(args)} exited {r.returncode}: {r.stderr.decode(errors='replace').strip()}"
        )
    return r.stdout if out else None


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed_loop(n, call):
    """Runs call(i) n times; returns (wall_s, the lxc children's cpu_s, lat list)."""
    return timed_with(n, call, children_cpu)


def w_get():
    def call(_):
        name = json.loads(lxc("query", f"/1.0/instances/{BASE}", out=True))["name"]
        if name != BASE:
            raise RuntimeError(f"query returned {name!r}, not {BASE!r}")

    wall, cpu, lat = timed_loop(N_GET, call)
    return line("get_instance", N_GET, wall, cpu, lat, True)


def w_list():
    seen = []

    def call(_):
        count = 0
        for inst in json.loads(lxc("list", "--format", "json", out=True)):
            if LIST_RE.fullmatch(inst["name"]):
                for k, v in inst["config"].items():
                    if not isinstance(k, str) or not isinstance(v, str):
                        raise RuntimeError(f"config of {inst['name']}: {k!r}={v!r}")
                count += 1
        seen.append(count)

    wall, cpu, lat = timed_loop(1, call)
    ok = seen == [N_LIST]
    if not ok:
        err(f"list_and_read_config: saw {seen[0]} instances {PREFIX}l*, expected {N_LIST}")
    return line("list_and_read_config", N_LIST, wall, cpu, lat, ok)


def w_exec():
    wall, cpu, lat = timed_loop(N_EXEC, lambda _: lxc("exec", BASE, "--", "true"))
    return line("exec_true", N_EXEC, wall, cpu, lat, True)


def w_set():
    wall, cpu, lat = timed_loop(N_SET, lambda i: lxc("config", "set", BASE, f"user.bench={i}"))
    got = lxc("config", "get", BASE, "user.bench", out=True).decode().strip()
    ok = got == str(N_SET - 1)
    if not ok:
        err(f"set_config_update: the server holds user.bench={got!r}, expected {str(N_SET - 1)!r}")
    return line("set_config_update", N_SET, wall, cpu, lat, ok)


def w_push():
    # untimed, as every client does (LXD opens its file channel on first use)
    subprocess.run(["lxc", "file", "delete", f"{BASE}{REMOTE}"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall, cpu, lat = timed_loop(1, lambda _: lxc(
        "file", "push", "--mode=0644", "--uid=0", "--gid=0", SRC, f"{BASE}{REMOTE}"))
    local = sha256_file(SRC)
    remote = lxc("exec", BASE, "--", "sha256sum", REMOTE, out=True).decode().split(" ")[0].strip()
    ok = remote == local
    if not ok:
        err(f"file_push: sha256 in the container {remote!r}, local {local}")
    return line("file_push", 1, wall, cpu, lat, ok)


def w_pull():
    try:
        wall, cpu, lat = timed_loop(1, lambda _: lxc("file", "pull", f"{BASE}{REMOTE}", PULLED))
        ok = os.path.getsize(PULLED) == os.path.getsize(SRC) and sha256_file(PULLED) == sha256_file(SRC)
        if not ok:
            err(f"file_pull: {PULLED} ({os.path.getsize(PULLED)} bytes) differs from {SRC}")
    finally:
        try:
            lxc("file", "delete", f"{BASE}{REMOTE}")
        except Exception as e:  # noqa: BLE001
            err(f"file_pull: deleting {REMOTE} in {BASE}: {e}")
        try:
            os.unlink(PULLED)
        except OSError:
            pass
    return line("file_pull", 1, wall, cpu, lat, ok)


def remove_leftovers(names):
    existing = {u.rsplit("/", 1)[-1] for u in json.loads(lxc("query", "/1.0/instances", out=True))}
    for name in sorted(existing & set(names)):
        err(f"lifecycle: deleting leftover {name}")
        lxc("delete", "-f", name)


def one_life(name):
    lxc("init", "busybox", name)
    lxc("start", name)
    lxc("exec", name, "--", "true")
    lxc("stop", "-f", name)
    lxc("delete", name)


def w_life():
    names = [life_name(k % LIFE_THREADS, k) for k in range(N_LIFE)]
    remove_leftovers(names)
    wall, cpu, lat, errors = run_lifecycles(lambda _t, name: one_life(name), children_cpu)
    if errors:
        try:
            remove_leftovers(names)
        except Exception as e:  # noqa: BLE001
            err(f"lifecycle cleanup: {e}")
    return line(LIFECYCLE, N_LIFE, wall, cpu, lat, not errors)


def main():
    sys.stdout.reconfigure(line_buffering=True)
    try:
        version = subprocess.run([LXC, "--version"], stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True).stdout.strip() or "?"
    except OSError as e:
        version = f"not runnable ({e})"
    emit({"client": CLIENT,
          "info": f"lxc {version} ({LXC}), one process per command, unix {SOCKET}; "
                  "cpu_s and peak_rss_kb are the lxc child processes' "
                  "(getrusage RUSAGE_CHILDREN: user+system CPU, largest ru_maxrss)"})
    if HTTPS:
        emit({"client": CLIENT, "skipped": "https"})
        return 0
    all_ok = run_workloads({
        "get_instance": w_get,
        "list_and_read_config": w_list,
        "exec_true": w_exec,
        "set_config_update": w_set,
        "file_push": w_push,
        "file_pull": w_pull,
        "lifecycle": w_life,
    })

    emit({"client": CLIENT, "peak_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss})
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
