#!/usr/bin/env python3
"""Replay a fixture into a running `agentctl serve` over HTTP, as a live sender would.

    AGENTCTL_SECRET=s3cret python simulator/replay.py http://127.0.0.1:8787 \\
        --events simulator/live-demo.jsonl --secret-env AGENTCTL_SECRET

Each line of the fixture (`{"ts", "type", "data"}`, JSONL or .jsonl.gz) becomes a
CloudEvent (`id`: the source and the line number, so a replay sent twice is stored once;
`time`: its ts) and is POSTed in signed batches (X-Agentctl-Signature: sha256=HMAC of the
body, the secret from an environment variable). Standard library only: any machine that
has Python can be a sender. Prints how many events were accepted.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import hmac
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path


def cloudevents(path: Path, source: str, limit: int | None) -> list[dict[str, object]]:
    opener = gzip.open if path.suffix == ".gz" else open
    out: list[dict[str, object]] = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            e = json.loads(line)
            out.append(
                {
                    "specversion": "1.0",
                    "id": f"{source}-{n}",
                    "source": source,
                    "type": e["type"],
                    "time": e["ts"],
                    "datacontenttype": "application/json",
                    "data": e.get("data", {}),
                }
            )
            if limit is not None and len(out) >= limit:
                break
    return out


def post(url: str, batch: list[dict[str, object]], secret: bytes | None) -> dict[str, object]:
    body = json.dumps(batch).encode()
    headers = {"Content-Type": "application/cloudevents-batch+json"}
    if secret is not None:
        headers["X-Agentctl-Signature"] = (
            "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        )
    req = urllib.request.Request(url.rstrip("/") + "/v1/events", body, headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return dict(json.loads(resp.read() or b"{}"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url", help="where agentctl serve listens, e.g. http://127.0.0.1:8787")
    ap.add_argument("--events", default="simulator/live-demo.jsonl", help="the fixture")
    ap.add_argument("--limit", type=int, default=None, help="only the first N events")
    ap.add_argument("--source", default="replay", help="the CloudEvents source")
    ap.add_argument("--secret-env", default="AGENTCTL_SECRET", help="env var of the secret")
    ap.add_argument("--batch", type=int, default=100, help="events per request")
    args = ap.parse_args(argv)
    raw = os.environ.get(args.secret_env)
    secret = raw.encode() if raw else None
    events = cloudevents(Path(args.events), args.source, args.limit)
    sent = 0
    try:
        for i in range(0, len(events), args.batch):
            post(args.url, events[i : i + args.batch], secret)
            sent += len(events[i : i + args.batch])
    except urllib.error.HTTPError as exc:
        print(f"refused: HTTP {exc.code}: {exc.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    except urllib.error.URLError as exc:
        print(f"cannot reach {args.url}: {exc.reason}", file=sys.stderr)
        return 1
    print(f"{sent} event(s) sent to {args.url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
