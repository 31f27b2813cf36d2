"""pylxd client program of the common benchmark (issue 14; the contract every
client program follows is bench/run-all.sh's, see its description there).

    BENCH_PREFIX=bench-all- BENCH_TMP=/tmp/x bench/.venv/bin/python bench/bench_all_pylxd.py

Workloads as pylxd 2.4.2's user writes them; where pylxd does something
other than the contract's request sequence, that is kept (the point is what a
pylxd user gets) and said below:

- get_instance: client.instances.get(NAME): one GET /1.0/instances/NAME.
- list_and_read_config: client.instances.all(recursion=1): one request,
  GET /1.0/instances?recursion=1, whose objects come back filled in (reading
  .config then does no request). The default client.instances.all() is
  recursion=0: name-only objects, each of which syncs (one GET) when .config
  is first read, i.e. 1 + N requests; pylxd 2.4.2 offers recursion=1, so that
  is what is used here.
- exec_true: inst.execute(["true"]). pylxd connects the websockets 0, 1 and 2
  (not control), waits with GET /1.0/operations/ID/wait, closes stdin, then
  polls its stdout/stderr readers every 0.1 s (time.sleep(0.1) in pylxd)
  until both have finished. ws4py sometimes breaks an execute: over the unix
  socket now and then a BrokenPipeError while connecting a websocket
  (canonical/pylxd#538); over HTTPS far more often (1 call in 8 to 1 in 3 here)
  an ssl.SSLEOFError from pylxd's manager.close_all() after the command has
  run: pylxd suppresses BrokenPipeError there, but through TLS the same
  write to a websocket LXD has already closed raises SSLEOFError, so the
  exit code it had is lost. Either way the call is retried (up to MAX_TRIES
  attempts in all, their time counted in that call; the command runs again)
  and the retries are counted in the line as "retries".
- set_config_update: a fresh client.instances.get(NAME), inst.config[...] =
  str(i), inst.save(wait=True). pylxd's save sends the PUT without If-Match
  (it does not keep the ETag), then waits on the operation with two requests
  (GET /1.0/operations/ID, then GET .../wait): 4 requests per call.
- file_push: inst.files.put(PATH, f, mode=0o644, uid=0, gid=0) with f an open
  file: pylxd hands it to requests as the body, which sends a file object in
  blocks (urllib3 reads it in 16 KiB chunks) with its Content-Length, so the
  push streams; pylxd itself reads nothing into memory.
- file_pull: inst.files.get(PATH) returns the whole body as bytes
  (response.content, no stream=True): pylxd 2.4.2 has no streaming pull, so
  the file is held in memory once and then written to the local file (the
  write is inside the timed call).
- lifecycle: client.instances.create({...}, wait=True), start(wait=True),
  execute(["true"]), stop(force=True, wait=True), delete(wait=True). pylxd's
  start/stop with wait=True also re-read the instance (one GET each, sync).
  With LIFE_THREADS > 1 each thread has its own pylxd.Client (made before the
  loop, untimed): pylxd clients are not documented thread-safe (one
  requests.Session each).

The instance object of BASE used by exec_true, file_push and file_pull is
fetched once (client.instances.get) right after the client is made, untimed.

HTTPS: pylxd.Client(endpoint=URL, cert=(CERT, KEY), verify=SERVER_CERT,
session=S). The host name is no problem: when verify is a path, pylxd 2.4.2
mounts its own LXDSSLAdapter, which pins the server certificate by its
SHA-256 fingerprint (urllib3 assert_fingerprint) and turns CA and host-name
checking off, which is the contract (trust exactly that certificate, no
host-name check). What does break it is the environment: requests lets
REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (set on this machine) override a
Session's verify (psf/requests#3829, open), so pylxd's adapter is handed the
system CA bundle instead of SERVER_CERT, pins the fingerprint of the bundle's
first certificate, and every request fails ("Fingerprints did not match").
The cleanest fix is pylxd's own hook for customising the session: S =
pylxd.client.get_session_for_url(URL, verify=..., cert=...) with
S.trust_env = False (requests then ignores those variables, and proxy
variables and .netrc, none of which apply to a local LXD), passed to Client.
The exec websockets (ws4py) get only the client certificate and key: ws4py
checks no server certificate at all (CERT_NONE). That is pylxd's behaviour
and is kept.
"""

import os
import platform
import sys
import threading
import time

import pylxd
import pylxd.client

from bench_common import (BASE, CLIENT, HTTPS, LIFE_THREADS, LIFECYCLE, LIST_RE, N_EXEC, N_GET,
                          N_LIFE, N_LIST, N_SET, PREFIX, PULLED, REMOTE, SOCKET, SRC, emit, err,
                          life_name, line, run_lifecycles, run_workloads, sha256_file)
from bench_common import timed_loop as timed_with

MAX_TRIES = 10


HTTPS_URL = os.environ.get("BENCH_HTTPS_URL") or "https://127.0.0.1:8443"
TLS_CERT = os.environ.get("BENCH_TLS_CERT", "")
TLS_KEY = os.environ.get("BENCH_TLS_KEY", "")
TLS_SERVER_CERT = os.environ.get("BENCH_TLS_SERVER_CERT", "")


def desc(e):
    return f"{type(e).__name__}: {e}"


def new_client():
    if HTTPS:
        cert = (TLS_CERT, TLS_KEY)
        # trust_env = False: see the module's docstring (REQUESTS_CA_BUNDLE).
        session = pylxd.client.get_session_for_url(HTTPS_URL, verify=TLS_SERVER_CERT, cert=cert)
        session.trust_env = False
        return pylxd.Client(endpoint=HTTPS_URL, cert=cert, verify=TLS_SERVER_CERT, session=session)
    return pylxd.Client(endpoint=SOCKET)


class Retries:
    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()

    def add(self):
        with self.lock:
            self.n += 1


def execute(inst, cmd, retries):
    """inst.execute(cmd), retried when ws4py breaks it; returns the result."""
    for attempt in range(1, MAX_TRIES + 1):
        try:
            return inst.execute(cmd)
        except Exception as e:  # noqa: BLE001 - whatever ws4py raises
            if attempt == MAX_TRIES:
                raise
            retries.add()
            err(f"execute {cmd} in {inst.name} failed ({desc(e)}); attempt {attempt}/{MAX_TRIES}, retrying")
    raise AssertionError("unreachable")


def exec_true(inst, retries):
    r = execute(inst, ["true"], retries)
    if r.exit_code != 0:
        raise RuntimeError(f"true in {inst.name} exited {r.exit_code} (stderr {r.stderr!r})")


def timed_loop(n, call):
    """Runs call(i) n times; returns (wall_s, this process's cpu_s, lat list)."""
    return timed_with(n, call, time.process_time)


def w_get(client, base):
    def call(_):
        inst = client.instances.get(BASE)
        if inst.name != BASE:
            raise RuntimeError(f"get returned {inst.name!r}, not {BASE!r}")

    wall, cpu, lat = timed_loop(N_GET, call)
    return line("get_instance", N_GET, wall, cpu, lat, True)


def w_list(client, base):
    seen = []

    def call(_):
        count = 0
        for inst in client.instances.all(recursion=1):
            if LIST_RE.fullmatch(inst.name):
                for k, v in inst.config.items():
                    if not isinstance(k, str) or not isinstance(v, str):
                        raise RuntimeError(f"config of {inst.name}: {k!r}={v!r}")
                count += 1
        seen.append(count)

    wall, cpu, lat = timed_loop(1, call)
    ok = seen == [N_LIST]
    if not ok:
        err(f"list_and_read_config: saw {seen[0]} instances {PREFIX}l*, expected {N_LIST}")
    return line("list_and_read_config", N_LIST, wall, cpu, lat, ok)


def w_exec(client, base):
    retries = Retries()
    wall, cpu, lat = timed_loop(N_EXEC, lambda _: exec_true(base, retries))
    return line("exec_true", N_EXEC, wall, cpu, lat, True, retries=retries.n)


def w_set(client, base):
    def call(i):
        inst = client.instances.get(BASE)
        inst.config["user.bench"] = str(i)
        inst.save(wait=True)

    wall, cpu, lat = timed_loop(N_SET, call)
    got = client.instances.get(BASE).config.get("user.bench")
    ok = got == str(N_SET - 1)
    if not ok:
        err(f"set_config_update: the server holds user.bench={got!r}, expected {str(N_SET - 1)!r}")
    return line("set_config_update", N_SET, wall, cpu, lat, ok)


def w_push(client, base):
    def call(_):
        with open(SRC, "rb") as f:
            base.files.put(REMOTE, f, mode=0o644, uid=0, gid=0)

    try:  # untimed, as every client does (LXD opens its file channel on first use)
        base.files.delete(REMOTE)
    except Exception:
        pass
    wall, cpu, lat = timed_loop(1, call)
    local = sha256_file(SRC)
    retries = Retries()
    r = execute(base, ["sha256sum", REMOTE], retries)
    remote = (r.stdout or "").split(" ")[0].strip()
    ok = r.exit_code == 0 and remote == local
    if not ok:
        err(f"file_push: sha256 in the container {remote!r} (exit {r.exit_code}, {r.stderr!r}), local {local}")
    return line("file_push", 1, wall, cpu, lat, ok)


def w_pull(client, base):
    def call(_):
        data = base.files.get(REMOTE)
        with open(PULLED, "wb") as f:
            f.write(data)

    try:
        wall, cpu, lat = timed_loop(1, call)
        ok = os.path.getsize(PULLED) == os.path.getsize(SRC) and sha256_file(PULLED) == sha256_file(SRC)
        if not ok:
            err(f"file_pull: {PULLED} ({os.path.getsize(PULLED)} bytes) differs from {SRC}")
    finally:
        try:
            base.files.delete(REMOTE)
        except Exception as e:  # noqa: BLE001
            err(f"file_pull: deleting {REMOTE} in {BASE}: {desc(e)}")
        try:
            os.unlink(PULLED)
        except OSError:
            pass
    return line("file_pull", 1, wall, cpu, lat, ok)


def remove_instance(client, name):
    if not client.instances.exists(name):
        return
    err(f"lifecycle: deleting leftover {name}")
    inst = client.instances.get(name)
    if inst.status_code != 102:  # not stopped
        inst.stop(force=True, wait=True)
    inst.delete(wait=True)


def one_life(client, name, retries):
    inst = client.instances.create(
        {"name": name, "source": {"type": "image", "alias": "busybox"}}, wait=True
    )
    inst.start(wait=True)
    exec_true(inst, retries)
    inst.stop(force=True, wait=True)
    inst.delete(wait=True)


def w_life(client, base):
    clients = [client] + [new_client() for _ in range(LIFE_THREADS - 1)]
    names = [life_name(k % LIFE_THREADS, k) for k in range(N_LIFE)]
    for name in names:
        remove_instance(client, name)
    retries = Retries()
    wall, cpu, lat, errors = run_lifecycles(
        lambda t, name: one_life(clients[t], name, retries), time.process_time, desc)
    if errors:
        for name in names:
            try:
                remove_instance(client, name)
            except Exception as e:  # noqa: BLE001
                err(f"lifecycle cleanup of {name}: {desc(e)}")
    return line(LIFECYCLE, N_LIFE, wall, cpu, lat, not errors, retries=retries.n)


def peak_rss_kb():
    with open("/proc/self/status") as f:
        for ln in f:
            if ln.startswith("VmHWM:"):
                return int(ln.split()[1])
    return -1


def main():
    sys.stdout.reconfigure(line_buffering=True)
    endpoint = f"{HTTPS_URL} (client certificate, server certificate pinned)" if HTTPS else f"unix {SOCKET}"
    emit({"client": CLIENT,
          "info": f"pylxd {pylxd.__version__}, python {platform.python_version()}, {endpoint}"})
    all_ok = True
    client = base = None
    try:
        client = new_client()
        base = client.instances.get(BASE)
    except Exception as e:  # noqa: BLE001
        err(f"connecting / getting {BASE}: {desc(e)}")
        all_ok = False

    if client is not None:
        all_ok = run_workloads({
            "get_instance": w_get,
            "list_and_read_config": w_list,
            "exec_true": w_exec,
            "set_config_update": w_set,
            "file_push": w_push,
            "file_pull": w_pull,
            "lifecycle": w_life,
        }, client, base, describe=desc) and all_ok

    emit({"client": CLIENT, "peak_rss_kb": peak_rss_kb()})
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
