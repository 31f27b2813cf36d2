"""What the Python client programs of bench/run-all.sh share
(bench_all_pylxd.py, bench_all_lxc.py): the settings from the environment,
the JSON lines, timed loops, the threaded lifecycle and the run of the
workloads. The contract every client program follows is in bench/README.md
("One bench command") and bench/bench_all.c.
"""

import hashlib
import json
import os
import re
import sys
import threading
import time

# The program's name ("bench_all_lxc"), for messages; the client's name
# ("lxc") unless BENCH_CLIENT says otherwise.
PROG = os.path.splitext(os.path.basename(sys.argv[0]))[0]
CHUNK = 1 << 20


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


CLIENT = os.environ.get("BENCH_CLIENT") or PROG.removeprefix("bench_all_")
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

BASE = f"{PREFIX}base"
LIST_RE = re.compile(re.escape(PREFIX) + r"l[0-9]+")
SRC = os.path.join(TMP, "src.bin")
REMOTE = f"/tmp/bench-{CLIENT}.bin"
PULLED = os.path.join(TMP, f"pulled-{CLIENT}.bin")
LIFECYCLE = "lifecycle" if LIFE_THREADS == 1 else f"lifecycle_{LIFE_THREADS}threads"


def err(msg):
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj, separators=(",", ":")), flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(CHUNK)
            if not b:
                return h.hexdigest()
            h.update(b)


def timed_loop(n, call, cpu_clock):
    """Runs call(i) n times; returns (wall_s, cpu_s by cpu_clock, per-call seconds)."""
    lat = []
    c0, w0 = cpu_clock(), time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        call(i)
        lat.append(time.perf_counter() - t)
    w1, c1 = time.perf_counter(), cpu_clock()
    return w1 - w0, c1 - c0, lat


def line(name, n, wall, cpu, lat, ok, **extra):
    """Prints a workload's JSON line; returns ok."""
    d = {
        "client": CLIENT,
        "workload": name,
        "n": n,
        "wall_s": round(wall, 4),
        "cpu_s": round(cpu, 4),
        "lat_ms": [round(x * 1e3, 3) for x in lat],
        "ok": ok,
    }
    d.update(extra)
    emit(d)
    return ok


def life_name(t, k):
    if LIFE_THREADS > 1:
        return f"{PREFIX}{CLIENT}-t{t}-x{k}"
    return f"{PREFIX}{CLIENT}-x{k}"


def run_lifecycles(one, cpu_clock, describe=str):
    """Runs one(t, name) for the N_LIFE lifecycles, LIFE_THREADS threads
    sharing them (thread t takes k = t, t+T, ...; a thread stops at its
    first failure). Returns (wall_s, cpu_s, per-call seconds, errors)."""
    T = LIFE_THREADS
    lat = [None] * N_LIFE
    errors = []

    def worker(t):
        for k in range(t, N_LIFE, T):
            s = time.perf_counter()
            try:
                one(t, life_name(t, k))
            except Exception as e:  # noqa: BLE001
                errors.append(f"lifecycle {life_name(t, k)}: {describe(e)}")
                return
            finally:
                lat[k] = time.perf_counter() - s

    c0, w0 = cpu_clock(), time.perf_counter()
    if T == 1:
        worker(0)
    else:
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(T)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    w1, c1 = time.perf_counter(), cpu_clock()
    for e in errors:
        err(e)
    return w1 - w0, c1 - c0, [x for x in lat if x is not None], errors


def run_workloads(fns, *args, describe=str):
    """Runs the workloads of `fns` (workload name -> function of `args`
    returning ok) in the contract's order, those with a count above 0 and
    named by BENCH_WORKLOADS if set (the lifecycle also as LIFECYCLE, e.g.
    lifecycle_4threads, as run-all.sh names it); a workload that raises prints a failed
    line. Returns whether all went well."""
    counts = [
        ("get_instance", N_GET),
        ("list_and_read_config", N_LIST),
        ("exec_true", N_EXEC),
        ("set_config_update", N_SET),
        ("file_push", 1 if FILE_MB > 0 else 0),
        ("file_pull", 1 if FILE_MB > 0 else 0),
        ("lifecycle", N_LIFE),
    ]
    wanted = os.environ.get("BENCH_WORKLOADS", "").strip()
    wanted = {w.strip() for w in wanted.split(",") if w.strip()} if wanted else None
    all_ok = True
    for name, n in counts:
        named = {name, LIFECYCLE} if name == "lifecycle" else {name}
        if n <= 0 or (wanted is not None and not named & wanted):
            continue
        try:
            all_ok = fns[name](*args) and all_ok
        except Exception as e:  # noqa: BLE001
            err(f"{name}: {describe(e)}")
            line(LIFECYCLE if name == "lifecycle" else name, n, 0.0, 0.0, [], False)
            all_ok = False
    return all_ok
