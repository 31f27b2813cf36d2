"""pylxd side of the streaming benchmark (see bench/README.md; run via
bench/run-stream.sh). Same modes and output keys as bench/bench_stream.c:

    bench_stream_pylxd.py exec  NAME CALLS
        CALLS times container.execute(["true"]) after WARMUP calls; each must
        exit 0. Wall time per call (mean and median, time.perf_counter) and
        process CPU time per call (time.process_time, all threads).
        pylxd's execute sometimes raises from ws4py (BrokenPipeError on
        connecting a websocket, a known pylxd/ws4py problem): such a call is
        retried (up to MAX_TRIES times in all, its time included) and counted
        as exec_errors.
    bench_stream_pylxd.py files NAME LOCAL REMOTE PULLED
        push: read LOCAL into memory, container.files.put(REMOTE, data);
        pull: data = container.files.get(REMOTE), written to PULLED.
        pylxd holds the whole file in memory both ways; reading/writing the
        local file is part of the timed transfer, as it is for the others.
        Wall and process CPU time of each. run-stream.sh checks both
        results with cmp.
    bench_stream_pylxd.py push  NAME LOCAL REMOTE
        only one push, then the process's peak RSS (ru_maxrss).

pylxd.Client() finds the local unix socket by itself.
"""

import os
import platform
import resource
import statistics
import sys
import time

import pylxd

WARMUP = 3
MAX_TRIES = 3
errors = 0


def open_container(name):
    client = pylxd.Client()
    container = client.containers.get(name)
    print("impl pylxd")
    print(f"version {pylxd.__version__}")
    print(f"python {platform.python_version()}")
    print(f"endpoint {client.api._api_endpoint}")
    return container


def one_exec(container):
    global errors
    for attempt in range(1, MAX_TRIES + 1):
        try:
            result = container.execute(["true"])
        except Exception as e:  # noqa: BLE001 - whatever ws4py raises
            errors += 1
            print(f"bench_stream_pylxd: execute failed ({e!r}); attempt {attempt}/{MAX_TRIES}",
                  file=sys.stderr)
            if attempt == MAX_TRIES:
                raise
            continue
        if result.exit_code != 0:
            raise SystemExit(f"bench_stream_pylxd: exec ['true'] exited {result.exit_code}")
        return


def do_exec(name, calls):
    global errors
    container = open_container(name)
    for _ in range(WARMUP):
        one_exec(container)
    errors = 0
    wall = []
    cpu0, w0 = time.process_time(), time.perf_counter()
    for _ in range(calls):
        t = time.perf_counter()
        one_exec(container)
        wall.append(time.perf_counter() - t)
    w1, cpu1 = time.perf_counter(), time.process_time()
    print(f"exec_n {calls}")
    print(f"exec_wall_ms {(w1 - w0) / calls * 1e3:.2f}")
    print(f"exec_wall_p50_ms {statistics.median(wall) * 1e3:.2f}")
    print(f"exec_cpu_ms {(cpu1 - cpu0) / calls * 1e3:.3f}")
    print(f"exec_errors {errors}")


def timed_push(container, local, remote):
    cpu0, t = time.process_time(), time.perf_counter()
    with open(local, "rb") as f:
        data = f.read()
    container.files.put(remote, data)
    w, cpu = time.perf_counter() - t, time.process_time() - cpu0
    print(f"push_wall_ms {w * 1e3:.1f}")
    print(f"push_cpu_ms {cpu * 1e3:.1f}")


def do_files(name, local, remote, pulled):
    container = open_container(name)
    print(f"file_bytes {os.path.getsize(local)}")
    timed_push(container, local, remote)
    cpu0, t = time.process_time(), time.perf_counter()
    data = container.files.get(remote)
    with open(pulled, "wb") as f:
        f.write(data)
    w, cpu = time.perf_counter() - t, time.process_time() - cpu0
    print(f"pull_wall_ms {w * 1e3:.1f}")
    print(f"pull_cpu_ms {cpu * 1e3:.1f}")


def do_push(name, local, remote):
    container = open_container(name)
    print(f"file_bytes {os.path.getsize(local)}")
    timed_push(container, local, remote)
    print(f"peak_rss_kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


def main():
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == "exec" and int(args[2]) >= 1:
        do_exec(args[1], int(args[2]))
    elif len(args) == 5 and args[0] == "files":
        do_files(*args[1:])
    elif len(args) == 4 and args[0] == "push":
        do_push(*args[1:])
    else:
        raise SystemExit(
            f"usage: {sys.argv[0]} exec NAME CALLS | files NAME LOCAL REMOTE PULLED"
            " | push NAME LOCAL REMOTE"
        )


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    main()
