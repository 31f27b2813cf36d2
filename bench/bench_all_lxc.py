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

import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time

CLIENT_DEFAULT = "lxc"
CHUNK = 1 << 20


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


CLIENT = os.environ.get("BENCH_CLIENT") or CLIENT_DEFAULT
PREFIX = os.environ.get("BENCH_PREFIX", "bench-all-")
TMP = os.environ.get("BENCH_TMP", "/tmp")
N_GET = env_int("N_GET", 300)
N_LIST = env_int("N_LIST", 30)
N_EXEC = env_int("N_EXEC", 30)
N_SET = env_int("N_SET", 30)
FILE_MB = env_int("FILE_MB", 32)
N_LIFE = env_int("N_LIFE", 10)
LIFE_THREADS = max(1, env_int("LIFE_THREADS", 1))
HTTPS = os.environ.get("BENCH_HTTPS", "0") == "1"
SOCKET = os.path.join(os.environ.get("LXD_DIR") or "/var/lib/lxd", "unix.socket")
LXC = shutil.which("lxc") or "lxc"

BASE = f"{PREFIX}base"
LIST_RE = re.compile(re.escape(PREFIX) + r"l[0-9]+")
SRC = os.path.join(TMP, "src.bin")
REMOTE = f"/tmp/bench-{CLIENT}.bin"
PULLED = os.path.join(TMP, f"pulled-{CLIENT}.bin")


def err(msg):
    print(f"bench_all_lxc: {msg}", file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj, separators=(",", ":")), flush=True)


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


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(CHUNK)
            if not b:
                return h.hexdigest()
            h.update(b)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed_loop(n, call):
    """Runs call(i) n times; returns (wall_s, children's cpu_s, lat list)."""
    lat = []
    c0, w0 = children_cpu(), time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        call(i)
        lat.append(time.perf_counter() - t)
    w1, c1 = time.perf_counter(), children_cpu()
    return w1 - w0, c1 - c0, lat


def line(name, n, wall, cpu, lat, ok):
    emit({
        "client": CLIENT,
        "workload": name,
        "n": n,
        "wall_s": round(wall, 4),
        "cpu_s": round(cpu, 4),
        "lat_ms": [round(x * 1e3, 3) for x in lat],
        "ok": ok,
    })
    return ok


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


def life_name(t, k):
    if LIFE_THREADS > 1:
        return f"{PREFIX}{CLIENT}-t{t}-x{k}"
    return f"{PREFIX}{CLIENT}-x{k}"


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
    T = LIFE_THREADS
    wname = "lifecycle" if T == 1 else f"lifecycle_{T}threads"
    names = [life_name(k % T, k) for k in range(N_LIFE)]
    remove_leftovers(names)

    lat = [None] * N_LIFE
    errors = []

    def worker(t):
        for k in range(t, N_LIFE, T):
            s = time.perf_counter()
            try:
                one_life(life_name(t, k))
            except Exception as e:  # noqa: BLE001
                errors.append(f"lifecycle {life_name(t, k)}: {e}")
                return
            finally:
                lat[k] = time.perf_counter() - s

    c0, w0 = children_cpu(), time.perf_counter()
    if T == 1:
        worker(0)
    else:
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(T)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    w1, c1 = time.perf_counter(), children_cpu()

    for e in errors:
        err(e)
    if errors:
        try:
            remove_leftovers(names)
        except Exception as e:  # noqa: BLE001
            err(f"lifecycle cleanup: {e}")
    return line(wname, N_LIFE, w1 - w0, c1 - c0, [x for x in lat if x is not None], not errors)


WORKLOADS = [
    ("get_instance", N_GET, w_get),
    ("list_and_read_config", N_LIST, w_list),
    ("exec_true", N_EXEC, w_exec),
    ("set_config_update", N_SET, w_set),
    ("file_push", 1 if FILE_MB > 0 else 0, w_push),
    ("file_pull", 1 if FILE_MB > 0 else 0, w_pull),
    ("lifecycle", N_LIFE, w_life),
]


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
    wanted = os.environ.get("BENCH_WORKLOADS", "").strip()
    wanted = {w.strip() for w in wanted.split(",") if w.strip()} if wanted else None

    all_ok = True
    for name, n, fn in WORKLOADS:
        if n <= 0 or (wanted is not None and name not in wanted):
            continue
        try:
            all_ok = fn() and all_ok
        except Exception as e:  # noqa: BLE001
            err(f"{name}: {e}")
            line(name if name != "lifecycle" or LIFE_THREADS == 1 else f"lifecycle_{LIFE_THREADS}threads",
                 n, 0.0, 0.0, [], False)
            all_ok = False

    emit({"client": CLIENT, "peak_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss})
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
