"""pylxd side of the benchmark (see bench/README.md; run via bench/run.sh).

    bench_pylxd.py GET_NAME PREFIX GETS LISTS

Same workloads and output keys as bench/bench_liblxd.c:
(A) GETS times client.containers.get(GET_NAME), after a few warm-up calls:
    mean wall time per call (time.perf_counter, also the median) and process
    CPU time per call (time.process_time) over the loop.
(B) LISTS times: client.containers.all(), then c.config for every instance
    whose name starts with PREFIX. all() returns objects holding only their
    name; reading .config makes each one sync (one GET per instance), which
    is pylxd's normal behaviour and the point of the comparison.
"""

import platform
import resource
import statistics
import sys
import time

import pylxd

WARMUP = 5


def one_list(client, prefix):
    listed = client.containers.all()
    read = 0
    for c in listed:
        if c.name.startswith(prefix):
            if not isinstance(c.config, dict):
                raise SystemExit(f"bench_pylxd: config of {c.name} is not a dict")
            read += 1
    return len(listed), read


def main():
    if len(sys.argv) != 5:
        raise SystemExit(f"usage: {sys.argv[0]} GET_NAME PREFIX GETS LISTS")
    name, prefix = sys.argv[1], sys.argv[2]
    gets, lists = int(sys.argv[3]), int(sys.argv[4])

    print("impl pylxd")
    print(f"version {pylxd.__version__}")
    print(f"python {platform.python_version()}")

    client = pylxd.Client()  # finds the local unix socket by itself
    print(f"endpoint {client.api._api_endpoint}")

    # (A) single get
    for _ in range(WARMUP):
        client.containers.get(name)
    wall = []
    cpu0, w0 = time.process_time(), time.perf_counter()
    for _ in range(gets):
        t = time.perf_counter()
        client.containers.get(name)
        wall.append(time.perf_counter() - t)
    w1, cpu1 = time.perf_counter(), time.process_time()
    print(f"get_n {gets}")
    print(f"get_wall_us {(w1 - w0) / gets * 1e6:.1f}")
    print(f"get_wall_p50_us {statistics.median(wall) * 1e6:.1f}")
    print(f"get_cpu_us {(cpu1 - cpu0) / gets * 1e6:.1f}")

    # (B) list + config of each
    for _ in range(2):
        one_list(client, prefix)
    cpu0, w0 = time.process_time(), time.perf_counter()
    for _ in range(lists):
        listed, read = one_list(client, prefix)
    w1, cpu1 = time.perf_counter(), time.process_time()
    print(f"list_n {lists}")
    print(f"list_instances {listed}")
    print(f"list_configs_read {read}")
    print(f"list_wall_ms {(w1 - w0) / lists * 1e3:.2f}")
    print(f"list_cpu_ms {(cpu1 - cpu0) / lists * 1e3:.2f}")

    print(f"peak_rss_kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


if __name__ == "__main__":
    main()
