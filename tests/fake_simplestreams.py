#!/usr/bin/env python3
"""A FAKE simplestreams image server, for the tests of lxd_image_pull.

A real one (images.linuxcontainers.org) is out of reach here: no internet.
This serves one split image (metadata tarball + squashfs) the way a
simplestreams server does, over HTTPS with a self-signed certificate that
the test passes to LXD in the image source's "certificate" field:

  GET /streams/v1/index.json   the index naming one product
  GET /streams/v1/images.json  the product, one version, two items
  GET /files/meta.tar.xz       the metadata tarball
  GET /files/root.squashfs     the root filesystem

Usage: fake_simplestreams.py --meta F --rootfs F --alias A --cert C --key K
       --portfile P [--address 127.0.0.1]
It binds a free port on the address, writes it to the port file, and
serves until killed. Requests are logged to stderr.
"""
import argparse
import hashlib
import http.server
import json
import os
import ssl


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    p = argparse.ArgumentParser()
    for a in ("--meta", "--rootfs", "--alias", "--cert", "--key", "--portfile"):
        p.add_argument(a, required=True)
    p.add_argument("--address", default="127.0.0.1")
    args = p.parse_args()

    combined = hashlib.sha256()
    for path in (args.meta, args.rootfs):
        with open(path, "rb") as f:
            combined.update(f.read())
    product = "lxdt:test:amd64:default"
    images = {
        "content_id": "images",
        "datatype": "image-downloads",
        "format": "products:1.0",
        "products": {
            product: {
                "aliases": args.alias,
                "arch": "amd64",
                "os": "lxdt",
                "release": "test",
                "release_title": "test",
                "variant": "default",
                "versions": {
                    "20261130_00:00": {
                        "items": {
                            "lxd.tar.xz": {
                                "ftype": "lxd.tar.xz",
                                "path": "files/meta.tar.xz",
                                "sha256": sha256(args.meta),
                                "size": os.path.getsize(args.meta),
                                "combined_squashfs_sha256": combined.hexdigest(),
                            },
                            "root.squashfs": {
                                "ftype": "squashfs",
                                "path": "files/root.squashfs",
                                "sha256": sha256(args.rootfs),
                                "size": os.path.getsize(args.rootfs),
                            },
                        }
                    }
                },
            }
        },
    }
    index = {
        "format": "index:1.0",
        "index": {
            "images": {
                "datatype": "image-downloads",
                "path": "streams/v1/images.json",
                "format": "products:1.0",
                "products": [product],
            }
        },
    }
    docs = {
        "/streams/v1/index.json": json.dumps(index).encode(),
        "/streams/v1/images.json": json.dumps(images).encode(),
    }
    files = {"/files/meta.tar.xz": args.meta, "/files/root.squashfs": args.rootfs}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def send_body(self, body, ctype):
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            path = self.path.split("?")[0]
            if path in docs:
                self.send_body(docs[path], "application/json")
            elif path in files:
                with open(files[path], "rb") as f:
                    self.send_body(f.read(), "application/octet-stream")
            else:
                self.send_error(404)

        do_HEAD = do_GET

    server = http.server.ThreadingHTTPServer((args.address, 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(args.portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.portfile + ".tmp", args.portfile)
    server.serve_forever()


if __name__ == "__main__":
    main()
