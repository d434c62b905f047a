#!/usr/bin/env python3
"""An example bridge from a wuji node's change feed to an office's own platform.

It follows Feed.Watch on one node over mutual TLS, prints each arrival
(a suggestion escalated or transferred to the node, an assignment it is a
target of) and each reminder (临期, 超期) as one JSON line, where a real
bridge would send an SMS, a 政务微信 notice or a work order, and keeps the
cursor of the last event it handled in a file. Killed and started again, it
goes on from that cursor: nothing missed, nothing twice. When the node
restarts it reconnects with backoff. When the node says the cursor is stale
(the node's store was rebuilt or restored), it says so and starts again
from the cursor the node names, after what a full listing would give.

The stubs come from the project's proto/ with grpcio-tools:

    python3 -m venv venv && venv/bin/pip install grpcio grpcio-tools
    mkdir -p gen && venv/bin/python -m grpc_tools.protoc -I proto \\
        --python_out=gen --grpc_python_out=gen \\
        proto/wuji/v1/records.proto proto/wuji/v1/api.proto
    PYTHONPATH=gen venv/bin/python examples/bridge/bridge.py \\
        --addr 127.0.0.1:7100 --server-name node-320114001.wuji \\
        --ca pki/ca.pem --cert pki/client-320114001-operator.pem \\
        --key pki/client-320114001-operator.key --cursor-file cursor.txt

See docs/INTEGRATION.md.
"""

import argparse
import json
import os
import sys
import time

import grpc
from wuji.v1 import api_pb2, api_pb2_grpc


def read_cursor(path):
    """The cursor saved by an earlier run, or "" (from now) on the first."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def save_cursor(path, cursor):
    """Saves the cursor so that a crash leaves the old one or the new one whole."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(cursor)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def record_id(rid):
    """A RecordId as the API's views print it: HOME:UUID."""
    h = rid.uuid.hex()
    return f"{rid.home}:{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def line(ev):
    """One event as the JSON line this bridge prints, or None for a heartbeat."""
    kind = ev.WhichOneof("event")
    if kind == "notice":
        n = ev.notice
        out = {
            "event": n.kind,
            "what": n.what,
            "record": record_id(n.record),
            "title": ev.record.view.get("title", ""),
            "on": n.on,
            "cursor": ev.cursor,
        }
        if n.kind == "arrived":
            out["from"] = getattr(n, "from")
        else:
            out["deadline"] = n.deadline
            out["working_days"] = n.working_days
        return out
    if kind == "change":
        v = ev.change.view
        return {
            "event": "change",
            "record": v.get("id", ""),
            "title": v.get("title", ""),
            "status": v.get("status", ""),
            "cursor": ev.cursor,
        }
    return None


def rule_of(err):
    """The wuji rule a refusal names (its `wuji-rule` metadata)."""
    for k, v in err.trailing_metadata() or ():
        if k == "wuji-rule":
            return v
    return ""


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--addr", required=True, help="the node's gRPC address, HOST:PORT")
    p.add_argument("--server-name", required=True, help="the name in the node's certificate, node-CODE.wuji")
    p.add_argument("--ca", required=True, help="the federation's CA certificate (PEM)")
    p.add_argument("--cert", required=True, help="this bridge's client certificate (PEM)")
    p.add_argument("--key", required=True, help="its key (PEM)")
    p.add_argument("--cursor-file", required=True, help="where the cursor of the last event handled is kept")
    p.add_argument("--changes", action="store_true", help="print record changes too, not only arrivals and reminders")
    args = p.parse_args()

    read = lambda f: open(f, "rb").read()
    creds = grpc.ssl_channel_credentials(read(args.ca), read(args.key), read(args.cert))
    options = [("grpc.ssl_target_name_override", args.server_name)]
    channel = grpc.secure_channel(args.addr, creds, options=options)
    feed = api_pb2_grpc.FeedStub(channel)

    cursor = read_cursor(args.cursor_file)
    backoff = 0.2
    print(json.dumps({"bridge": "started", "cursor": cursor}), flush=True)
    while True:
        request = api_pb2.WatchRequest(
            cursor=cursor,
            notices_only=not args.changes,
            heartbeat_seconds=5,
        )
        try:
            for ev in feed.Watch(request):
                backoff = 0.2
                out = line(ev)
                if out is not None:
                    # Act first, then move the cursor: a crash in between
                    # acts twice (at least once), never not at all.
                    print(json.dumps(out, ensure_ascii=False), flush=True)
                cursor = ev.cursor
                save_cursor(args.cursor_file, cursor)
        except grpc.RpcError as e:
            if rule_of(e) == "cursor-stale":
                # The node's store is not the one the cursor counts in: a
                # real bridge lists everything again here; then it goes on
                # from the cursor the refusal names.
                named = e.details().rsplit(" ", 1)[-1]
                print(json.dumps({"bridge": "cursor-stale", "resync_from": named}), flush=True)
                cursor = named
                save_cursor(args.cursor_file, cursor)
                continue
            if e.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED):
                print(json.dumps({"bridge": "refused", "rule": rule_of(e), "message": e.details()}), flush=True)
                return 2
            print(json.dumps({"bridge": "reconnecting", "code": e.code().name, "in_s": backoff}), flush=True)
            time.sleep(backoff)
            backoff = min(backoff * 2, 5.0)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BrokenPipeError, KeyboardInterrupt):
        # Whoever reads our output went away, or ctrl-c: the cursor file
        # holds the last event handled.
        sys.exit(0)
