"""Test oracle for internal/trust: answers JSON-line requests on stdin with
nbformat's own NotebookNotary, one JSON line each on stdout."""

import base64
import json
import sqlite3
import sys
import time

import nbformat
from nbformat.sign import NotebookNotary


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def notary(req):
    if "secret" in req:
        return NotebookNotary(secret=base64.b64decode(req["secret"]), db_file=":memory:", data_dir="")
    return NotebookNotary(data_dir=req["dir"])


for line in sys.stdin:
    req = json.loads(line)
    op = req["op"]
    try:
        if op == "lock":
            db = sqlite3.connect(req["db"], isolation_level=None)
            db.execute("BEGIN EXCLUSIVE")
            reply({"locked": True})
            time.sleep(req["seconds"])
            db.execute("COMMIT")
            db.close()
            reply({"released": True})
            continue
        nb = nbformat.reads(req["nb"], as_version=4)
        n = notary(req)
        try:
            if op == "sig":
                reply({"sig": n.compute_signature(nb)})
            elif op == "sign":
                n.sign(nb)
                reply({"ok": True})
            elif op == "check":
                reply({"trusted": n.check_signature(nb)})
            else:
                reply({"error": "unknown op " + op})
        finally:
            n.store.close()
    except Exception as e:  # reported to the Go test, which decides
        reply({"error": "%s: %s" % (type(e).__name__, e)})
