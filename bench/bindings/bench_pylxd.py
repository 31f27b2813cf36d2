"""pylxd side (the reference) of the bindings benchmark (see bench/README.md,
"Bindings"; run via bench/run-bindings.sh): bench/bindings/bench.c's
workloads and output keys through pylxd.

    bench_pylxd.py NAME GETS EXECS SAVES

    get        client.containers.get(NAME) (the object is dropped)
    get_config the same + c.config (a dict; pylxd parsed the whole object already)
    exec       c.execute(["true"]) (exit code, stdout, stderr). pylxd's execute
               sometimes raises from ws4py (BrokenPipeError connecting a
               websocket, canonical/pylxd#538): the call is retried (up to
               MAX_TRIES in all, its time included) and counted in exec_errors
               (warm-up calls included).
    set_save   c.description = "..." + c.save(wait=True)
"""

import platform
import resource
import statistics
import sys
import time

import pylxd

MAX_TRIES = 3
exec_errors = 0


def measure(key, op, warmup, n):
    for _ in range(warmup):
        op()
    wall = []
    cpu0, w0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        op()
        wall.append(time.perf_counter() - t)
    w1, cpu1 = time.perf_counter(), time.process_time()
    print(f"{key}_n {n}")
    print(f"{key}_wall_ms {(w1 - w0) / n * 1e3:.3f}")
    print(f"{key}_wall_p50_ms {statistics.median(wall) * 1e3:.3f}")
    print(f"{key}_cpu_ms {(cpu1 - cpu0) / n * 1e3:.4f}", flush=True)


def main():
    global exec_errors
    if len(sys.argv) != 5:
        raise SystemExit(f"usage: {sys.argv[0]} NAME GETS EXECS SAVES")
    name = sys.argv[1]
    gets, execs, saves = (int(a) for a in sys.argv[2:])

    print("impl pylxd")
    print(f"version {pylxd.__version__}")
    print(f"python {platform.python_version()}")
    client = pylxd.Client()
    inst = client.containers.get(name)
    counter = 0

    def get():
        client.containers.get(name)

    def get_config():
        if not isinstance(client.containers.get(name).config, dict):
            raise SystemExit("bench_pylxd: config is not a dict")

    def one_exec():
        global exec_errors
        for attempt in range(1, MAX_TRIES + 1):
            try:
                r = inst.execute(["true"])
            except Exception as e:  # noqa: BLE001 - whatever ws4py raises
                exec_errors += 1
                print(f"bench_pylxd: execute failed ({e!r}); attempt {attempt}/{MAX_TRIES}",
                      file=sys.stderr)
                if attempt == MAX_TRIES:
                    raise
                continue
            if r.exit_code != 0:
                raise SystemExit(f"bench_pylxd: exec ['true'] exited {r.exit_code}")
            return

    def set_save():
        nonlocal counter
        counter += 1
        inst.description = f"lxdt-bench {counter}"
        inst.save(wait=True)

    measure("get", get, 5, gets)
    measure("get_config", get_config, 5, gets)
    exec_errors = 0
    measure("exec", one_exec, 3, execs)
    print(f"exec_errors {exec_errors}")
    measure("set_save", set_save, 3, saves)
    print(f"peak_rss_kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


if __name__ == "__main__":
    main()
