#!/usr/bin/env python3
"""The seed corpus of the fuzz targets: real answers of the local LXD
daemon, captured over its unix socket and framed as each target's input
(see src/fuzzing.rs), plus a few made by hand for what a daemon cannot be
made to send.

    python3 fuzz/seeds.py     # needs LXD running (bash scripts/lxd-env.sh)

Writes fuzz/corpus/<target>/seed-<name>. It creates one container from
the "busybox" image, named fuzzseed-<pid>, and deletes it at the end.
"""

import json
import os
import socket
import struct
import sys
import threading
import time

SOCKET = os.path.join(os.environ.get("LXD_DIR", "/var/lib/lxd"), "unix.socket")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
NAME = f"fuzzseed-{os.getpid()}"


def connect():
    s = socket.socket(socket.AF_UNIX)
    s.connect(SOCKET)
    s.settimeout(30)
    return s


def raw(method, path, body=None, headers=()):
    """The whole answer to one request, bytes as sent, minus the
    `Connection: close` that the request's own header caused."""
    s = connect()
    req = f"{method} {path} HTTP/1.1\r\nHost: lxd\r\nConnection: close\r\n"
    for h in headers:
        req += h + "\r\n"
    data = b""
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req += f"Content-Length: {len(data)}\r\n"
    s.sendall(req.encode() + b"\r\n" + data)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.replace(b"Connection: close\r\n", b"")


def split(resp):
    """(status, headers, body) of a raw answer, the body de-chunked."""
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode()
    if headers.get("transfer-encoding") == "chunked":
        out, rest = b"", body
        while True:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out += rest[:n]
            rest = rest[n + 2:]
        body = out
    return status, headers, body


def doc(resp):
    return json.loads(split(resp)[2])


def wait(op_path):
    return raw("GET", op_path + "/wait?timeout=60")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ----- events: a websocket opened first, read while the rest happens --------

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def events_capture(stop, frames, head):
    s = connect()
    s.sendall(
        (
            "GET /1.0/events HTTP/1.1\r\nHost: lxd\r\nConnection: Upgrade\r\n"
            "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {KEY}\r\n\r\n"
        ).encode()
    )
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    h, _, rest = buf.partition(b"\r\n\r\n")
    head.append(h + b"\r\n\r\n")
    frames.append(rest)
    s.settimeout(0.2)
    while not stop.is_set():
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if not d:
            break
        frames.append(d)
    s.close()


# ----- SFTP ---------------------------------------------------------------------


def sftp_packet(kind, body):
    return struct.pack(">IB", 1 + len(body), kind) + body


def sftp_string(b):
    return struct.pack(">I", len(b)) + b


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        d = s.recv(n - len(out))
        if not d:
            raise EOFError
        out += d
    return out


def sftp_session(requests):
    """The upgrade's answer head, and the raw reply to each request."""
    s = connect()
    s.sendall(
        (
            f"GET /1.0/instances/{NAME}/sftp HTTP/1.1\r\nHost: lxd\r\n"
            "Connection: Upgrade\r\nUpgrade: sftp\r\n\r\n"
        ).encode()
    )
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += s.recv(1)
    replies = []
    for kind, body in requests:
        s.sendall(sftp_packet(kind, body))
        n = recv_exact(s, 4)
        replies.append(n + recv_exact(s, struct.unpack(">I", n)[0]))
    s.close()
    return head, replies


def ws_frames(data):
    """The websocket frames (server to client: not masked) in `data`."""
    frames, i = [], 0
    while i + 2 <= len(data):
        n, j = data[i + 1] & 0x7F, i + 2
        if n == 126:
            n, j = struct.unpack(">H", data[j:j + 2])[0], j + 2
        elif n == 127:
            n, j = struct.unpack(">Q", data[j:j + 8])[0], j + 8
        frames.append(data[i:j + n])
        i = j + n
    return frames


def few_events(data):
    """A small sample of the frames: the first two of each event type,
    and every control frame."""
    seen, out = {}, b""
    for f in ws_frames(data):
        if f[0] & 0x0F in (1, 2):
            payload = f[2:] if f[1] & 0x7F < 126 else f[4:] if f[1] & 0x7F == 126 else f[10:]
            t = json.loads(payload).get("type", "")
            seen[t] = seen.get(t, 0) + 1
            if seen[t] > 2:
                continue
        out += f
    return out


def main():
    stop = threading.Event()
    frames, ws_head = [], []
    t = threading.Thread(target=events_capture, args=(stop, frames, ws_head))
    t.start()
    time.sleep(0.3)

    got = {}
    for key, path in [
        ("host", "/1.0"),
        ("instances", "/1.0/instances?recursion=1"),
        ("images", "/1.0/images?recursion=1"),
        ("profiles", "/1.0/profiles?recursion=1"),
        ("profile", "/1.0/profiles/default"),
        ("networks", "/1.0/networks?recursion=1"),
        ("pools", "/1.0/storage-pools?recursion=1"),
        ("projects", "/1.0/projects?recursion=1"),
        ("project", "/1.0/projects/default"),
        ("certificates", "/1.0/certificates?recursion=1"),
        ("missing", "/1.0/instances/fuzzseed-missing"),
        ("no-endpoint", "/1.0/nonexistent-endpoint"),
    ]:
        got[key] = raw("GET", path)
    got["head"] = raw("HEAD", "/1.0/instances/fuzzseed-missing")
    image = doc(raw("GET", "/1.0/images/aliases/busybox"))["metadata"]["target"]
    got["image"] = raw("GET", f"/1.0/images/{image}")

    try:
        got["create"] = raw(
            "POST",
            "/1.0/instances",
            {"name": NAME, "source": {"type": "image", "alias": "busybox"}},
        )
        op = doc(got["create"])["operation"]
        got["create-done"] = wait(op)
        got["instance"] = raw("GET", f"/1.0/instances/{NAME}")
        got["conflict"] = raw(
            "POST",
            "/1.0/instances",
            {"name": NAME, "source": {"type": "image", "alias": "busybox"}},
        )
        got["start"] = raw(
            "PUT", f"/1.0/instances/{NAME}/state", {"action": "start", "timeout": 30}
        )
        got["start-done"] = wait(doc(got["start"])["operation"])
        got["state"] = raw("GET", f"/1.0/instances/{NAME}/state")
        got["operations"] = raw("GET", "/1.0/operations?recursion=1")
        setup = (
            "mkdir -p /root/t/sub && echo hi > /root/t/a && ln -s a /root/t/rel && "
            "ln -s /root/t/a /root/t/abs && ln -s ../../etc /root/t/sub/up && "
            "ln -s /etc/passwd /root/t/out && mkdir /root/d && exit 3"
        )
        got["exec"] = raw(
            "POST",
            f"/1.0/instances/{NAME}/exec",
            {"command": ["sh", "-c", setup], "record-output": True,
             "wait-for-websocket": False, "interactive": False},
        )
        got["exec-done"] = wait(doc(got["exec"])["operation"])
        got["exec-ws"] = raw(
            "POST",
            f"/1.0/instances/{NAME}/exec",
            {"command": ["true"], "wait-for-websocket": True, "interactive": False},
        )
        got["exec-fail"] = raw(
            "POST",
            f"/1.0/instances/{NAME}/exec",
            {"command": ["/nonexistent"], "wait-for-websocket": False,
             "interactive": False},
        )
        got["exec-fail-done"] = wait(doc(got["exec-fail"])["operation"])
        files = f"/1.0/instances/{NAME}/files?path="
        for key, p in [
            ("file", "/root/t/a"),
            ("folder", "/root/t"),
            ("subfolder", "/root/t/sub"),
            ("link-rel", "/root/t/rel"),
            ("link-abs", "/root/t/abs"),
            ("link-up", "/root/t/sub/up"),
            ("link-out", "/root/t/out"),
            ("nofile", "/root/nonexistent"),
            ("notdir", "/root/t/a/x"),
        ]:
            got[key] = raw("GET", files + p)
        got["push"] = raw(
            "POST", files + "/root/t/new", b"pushed\n",
            ["X-LXD-type: file", "X-LXD-write: overwrite", "X-LXD-mode: 0644"],
        )
        head, replies = sftp_session(
            [
                (1, struct.pack(">I", 3)),  # INIT
                (17, struct.pack(">I", 1) + sftp_string(b"/root/d")),  # STAT
                (7, struct.pack(">I", 2) + sftp_string(b"/root/t/rel")),  # LSTAT
                (9, struct.pack(">I", 3) + sftp_string(b"/root/d")
                 + struct.pack(">III", 2, 1000, 1000)),  # SETSTAT uid/gid
                (9, struct.pack(">I", 4) + sftp_string(b"/root/d")
                 + struct.pack(">II", 4, 0o2775)),  # SETSTAT mode
                (17, struct.pack(">I", 5) + sftp_string(b"/root/none")),  # STAT
                (7, struct.pack(">I", 6) + sftp_string(b"/root/t")),  # LSTAT
                (9, struct.pack(">I", 7) + sftp_string(b"/root/none")
                 + struct.pack(">II", 4, 0o755)),  # SETSTAT on nothing
                (9, struct.pack(">I", 8) + sftp_string(b"/root/d")
                 + struct.pack(">II", 4, 0o755)),
            ]
        )
        got["sftp-head"] = head
        got["sftp"] = b"".join(replies)
        got["sftp-missing"] = raw(
            "GET", "/1.0/instances/fuzzseed-missing/sftp",
            headers=["Connection: Upgrade", "Upgrade: sftp"],
        )
    finally:
        stop_op = raw(
            "PUT", f"/1.0/instances/{NAME}/state", {"action": "stop", "force": True}
        )
        if split(stop_op)[0] == 202:
            wait(doc(stop_op)["operation"])
        got["delete"] = raw("DELETE", f"/1.0/instances/{NAME}")
        if split(got["delete"])[0] == 202:
            got["delete-done"] = wait(doc(got["delete"])["operation"])
        time.sleep(0.5)
        stop.set()
        t.join()

    seeds(got, ws_head[0] if ws_head else b"", few_events(b"".join(frames)))


def seeds(got, ws_head, ws_frames):
    # http_response: flags, piece size, length of the first answer, answers.
    def http(name, first, second, flags=0, piece=0):
        a, b = got[first], got[second] if second else b""
        write("http_response", name, bytes([flags, piece]) + struct.pack(">H", len(a)) + a + b)

    GET, HEAD, POST, PUT, DELETE, CAPPED, DOWNLOAD, UPLOAD = range(8)
    http("host-then-instances", "host", "instances")
    http("missing-then-images", "missing", "images", DELETE | GET << 3)
    http("head", "head", "missing", HEAD | HEAD << 3)
    http("create-then-wait", "create", "create-done", POST | GET << 3)
    http("conflict", "conflict", "operations", POST | PUT << 3)
    http("file-download", "file", "folder", DOWNLOAD | CAPPED << 3)
    http("push", "push", "link-rel", UPLOAD | DOWNLOAD << 3)
    http("trickled", "instances", "profile", GET, 3)
    http("closed-after-first", "profile", "projects", GET | GET << 3 | 0x40)
    http("notdir-capped", "notdir", "nofile", CAPPED | CAPPED << 3)
    ok = split(got["profile"])[2]
    cont = (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
            + str(len(ok)).encode() + b"\r\n\r\n" + ok)
    write(
        "http_response",
        "continue-then-ok",
        bytes([0, 0]) + struct.pack(">H", len(cont)) + cont + got["profile"],
    )

    # envelope: status (2 bytes, big-endian), body.
    for key in ["host", "instances", "missing", "create", "conflict", "exec-ws",
                "operations", "no-endpoint", "start-done", "exec-fail-done", "delete"]:
        if key in got:
            status, _, body = split(got[key])
            write("envelope", key, struct.pack(">H", status) + body)
    write("envelope", "not-json-500", struct.pack(">H", 500) + b"<html>oops</html>")

    # operation: an operation document, or the whole answer to a POST.
    for key in ["create-done", "start-done", "exec-done", "exec-fail-done", "delete-done"]:
        if key in got:
            write("operation", key, json.dumps(doc(got[key])["metadata"]).encode())
    for key in ["exec-ws", "create", "exec"]:
        write("operation", key + "-response", split(got[key])[2])
    write("operation", "location", b'{"type":"sync","location":"/1.0/certificates/abc?x=1"}')

    # object: kind (low 4 bits; high bit: a list), the metadata.
    kinds = {"instance": 0, "container": 1, "image": 3, "profile": 4, "network": 5,
             "pool": 6, "project": 7, "certificate": 8, "operation": 9}
    for name, kind, key in [
        ("instance", "instance", "instance"), ("container", "container", "instance"),
        ("image", "image", "image"), ("profile", "profile", "profile"),
        ("project", "project", "project"), ("operation", "operation", "create-done"),
        ("vm-mismatch", "container", "instance"),
    ]:
        meta = doc(got[key])["metadata"]
        if name == "vm-mismatch":
            meta["type"] = "virtual-machine"
        write("object", name, bytes([kinds[kind]]) + json.dumps(meta).encode())
    for name, kind, key in [
        ("instances", "instance", "instances"), ("images", "image", "images"),
        ("profiles", "profile", "profiles"), ("networks", "network", "networks"),
        ("pools", "pool", "pools"), ("projects", "project", "projects"),
        ("certificates", "certificate", "certificates"),
        ("operations", "operation", "operations"),
    ]:
        meta = doc(got[key])["metadata"]
        write("object", "list-" + name, bytes([0x80 | kinds[kind]]) + json.dumps(meta).encode())

    # pull_checks: root[\nfolder] 0xFF listing 0xFF symlink bodies (sorted names).
    def listing(key):
        return split(got[key])[2]

    def body(key):
        return split(got[key])[2]

    names = sorted(doc(got["folder"])["metadata"])
    links = {"abs": body("link-abs"), "rel": body("link-rel"), "out": body("link-out")}
    parts = [b"/root/t", listing("folder")] + [links.get(n, b"") for n in names]
    write("pull_checks", "tree", b"\xff".join(parts))
    sub = sorted(doc(got["subfolder"])["metadata"])
    parts = [b"/root/t\nsub", listing("subfolder")] + [
        body("link-up") if n == "up" else b"" for n in sub]
    write("pull_checks", "subfolder", b"\xff".join(parts))
    write("pull_checks", "root-link", b"/root/t/rel\xff\xff" + body("link-rel"))
    write("pull_checks", "bad-names",
          b'/\xff{"type":"sync","metadata":["..","a/b","ok",".","x\\u0000y"]}\xff\xff\xffz')

    # sftp_reply: read size (0: all), the replies.
    write("sftp_reply", "session", b"\x00" + got["sftp"])
    write("sftp_reply", "session-by-3", b"\x03" + got["sftp"])

    # upgrade_head: read size, the answer.
    write("upgrade_head", "switch", b"\x00" + got["sftp-head"])
    write("upgrade_head", "switch-by-1", b"\x01" + got["sftp-head"])
    write("upgrade_head", "missing", b"\x00" + got["sftp-missing"])
    write("upgrade_head", "missing-by-7", b"\x07" + got["sftp-missing"])
    write("upgrade_head", "websocket",
          b"\x00HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")

    # events_ws: flags (bit 0: frames only; bit 1: try_read), the bytes.
    accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # of KEY
    head = ws_head.replace(accept.encode(), b"{accept}")
    write("events_ws", "handshake-events", b"\x00" + head + ws_frames)
    write("events_ws", "handshake-frames", b"\x02" + head + ws_frames)
    write("events_ws", "events", b"\x01" + ws_frames)
    ping, empty = b"\x89\x01x", b"\x81\x00"
    close = b"\x88\x05\x03\xe9bye"
    write("events_ws", "exec-stream", b"\x03" + ping + b"\x82\x06hello\n" + empty)
    write("events_ws", "close", b"\x01" + b'\x81\x02{}' + close)
    write("events_ws", "fragments", b"\x01\x01\x02{\"\x80\x02a\"\x80\x01}")
    write("events_ws", "binary-not-utf8", b"\x01\x82\x02\xff\xfe")
    write("events_ws", "refused", b"\x00" + got["missing"])

    # options: JSON texts for every parser.
    for i, text in enumerate([
        '{"cert":"/c.crt","key":"/c.key","verify":false,"timeout_ms":1500,'
        '"deadline_ms":60000,"max_response_bytes":1048576,"project":"p"}',
        '{"server_cert":"/s.crt","verify":true}',
        '{"environment":{"A":"1","HOME":"/root"},"cwd":"/tmp","user":1000,'
        '"group":1000,"timeout_ms":2000,"width":120,"height":40}',
        '["sh","-c","echo hi"]',
        '{"mode":"0644","uid":0,"gid":0,"append":true}',
        '{"mode":493,"parents":true}',
        '{"keep_special_bits":true}',
        "lifecycle, operation,logging",
        "https://[::1]:8443",
        "unix:/var/lib/lxd/unix.socket",
    ]):
        write("options", f"{i:02}", text.encode())


if __name__ == "__main__":
    sys.exit(main())
