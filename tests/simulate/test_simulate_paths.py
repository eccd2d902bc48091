"""simulate reads nothing outside the workspace that a YAML file names, and no stream or
file can exhaust memory: real symlinks, real `..` paths, bombs built in tmp."""

from __future__ import annotations

import gzip
import json
import os
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest
from sim_helpers import SCENARIO, events_jsonl, make_workspace
from support import write

from agentctl.engine.events import MAX_LINE_BYTES, Event
from agentctl.simulate.stream import read_events

MARKER = "SECRET-MARKER-7f3a"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = make_workspace(tmp_path / "ws")
    # a stream outside the workspace, whose content would show in findings if it were read
    write(tmp_path / "outside.jsonl", f'{{"ts": "{MARKER}", "type": "x"}}\n')
    return root


def scenario_with(ws: Path, events: str) -> None:
    (ws / "simulator/morning.yaml").write_text(
        SCENARIO.replace("events: events.jsonl", f"events: {events}")
    )


@pytest.mark.parametrize("events", ["../../outside.jsonl", "/ABS/outside.jsonl"])
def test_a_scenario_events_path_that_leaves_is_refused(
    cli: Any, ws: Path, tmp_path: Path, events: str
) -> None:
    scenario_with(ws, events.replace("/ABS", str(tmp_path)))
    r = cli("simulate", "morning", "-w", ws)
    assert r.exit_code == 1, r.stdout + r.stderr
    assert MARKER not in r.stdout + r.stderr
    assert "simulator/morning.yaml:5:11: path-outside error:" in r.stderr
    r = cli("simulate", "morning", "-w", ws, "--format", "json")
    assert json.loads(r.stdout)["findings"][0]["code"] == "path-outside"
    # lint says the same at the same place (it said file-missing while simulate read it)
    r = cli("lint", "-w", ws, "--format", "json")
    found = [
        (f["code"], f["location"]["file"], f["location"]["line"])
        for f in json.loads(r.stdout)["findings"]
        if f["code"] in ("path-outside", "file-missing")
    ]
    assert found == [("path-outside", "simulator/morning.yaml", 5)]


def test_a_scenario_events_symlink_that_leaves_is_refused(
    cli: Any, ws: Path, tmp_path: Path
) -> None:
    os.symlink(tmp_path / "outside.jsonl", ws / "simulator/linked.jsonl")
    (tmp_path / "dir").mkdir()
    write(tmp_path / "dir/events.jsonl", f'{{"ts": "{MARKER}", "type": "x"}}\n')
    os.symlink(tmp_path / "dir", ws / "simulator/shared")
    for events in ("linked.jsonl", "shared/events.jsonl"):
        scenario_with(ws, events)
        r = cli("simulate", "morning", "-w", ws)
        assert r.exit_code == 1, r.stdout + r.stderr
        assert MARKER not in r.stdout + r.stderr
        assert "path-outside error" in r.stderr


def test_a_symlink_inside_the_workspace_is_followed(cli: Any, ws: Path) -> None:
    os.symlink("events.jsonl", ws / "simulator/alias.jsonl")
    scenario_with(ws, "alias.jsonl")
    r = cli("simulate", "morning", "-w", ws)
    assert r.exit_code == 0, r.stdout + r.stderr


def test_an_explicit_events_file_may_be_anywhere(cli: Any, ws: Path, tmp_path: Path) -> None:
    # the user typed the path: it is theirs to choose (docs/simulate.md)
    stream = write(tmp_path / "elsewhere/stream.jsonl", events_jsonl())
    r = cli("simulate", "--events", stream, "-w", ws)
    assert r.exit_code == 0, r.stdout + r.stderr


def test_a_scenario_file_outside_keeps_its_events_in_its_own_folder(
    cli: Any, ws: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "elsewhere"
    write(folder / "s.yaml", SCENARIO.replace("events: events.jsonl", "events: ../outside.jsonl"))
    r = cli("simulate", folder / "s.yaml", "-w", ws)
    assert r.exit_code == 1, r.stdout + r.stderr
    assert MARKER not in r.stdout + r.stderr
    assert "s.yaml:5:11: path-outside error:" in r.stderr


def test_an_oversized_scenario_file_is_refused_unread(cli: Any, ws: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(SCENARIO.encode() + b"#" * (8 * 1024 * 1024))
    r = cli("simulate", big, "-w", ws, "--format", "json")
    assert r.exit_code == 1, r.stdout + r.stderr
    (f,) = json.loads(r.stdout)["findings"]
    assert (f["code"], f["message"]) == (
        "file-too-large",
        "the file is larger than 8 MiB: it is not read",
    )


# --- memory bombs -----------------------------------------------------------------------


def gzip_bomb(path: Path, line_bytes: int) -> Path:
    """A gzip stream holding one `line_bytes`-long line of zeros, then a good event: one
    16 MiB member repeated (concatenated gzip members read as one stream), so the file is
    small and quick to build."""
    member = gzip.compress(b"0" * (16 << 20), compresslevel=9)
    with path.open("wb") as fh:
        for _ in range(line_bytes // (16 << 20)):
            fh.write(member)
        fh.write(gzip.compress(b'\n{"ts": "2026-03-02T08:30:00Z", "type": "pos.sale"}\n'))
    return path


def test_a_gzip_bomb_line_is_a_finding_in_bounded_memory(tmp_path: Path) -> None:
    path = gzip_bomb(tmp_path / "bomb.jsonl.gz", 256 << 20)
    assert path.stat().st_size < 2 << 20
    tracemalloc.start()
    try:
        items = list(read_events(path, "bomb.jsonl.gz"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MAX_LINE_BYTES, f"peak {peak:,} bytes"
    bad, good = items
    assert not isinstance(bad, Event)
    assert (bad.code, bad.location.line) == ("event-invalid", 1)
    assert bad.message == "the line is longer than 1 MiB; it was skipped"
    assert isinstance(good, Event) and good.seq == 2


def test_a_line_at_the_cap_is_read_one_over_is_not(tmp_path: Path) -> None:
    head = b'{"ts": "2026-03-02T08:30:00Z", "type": "pos.sale", "data": {"pad": "'
    tail = b'"}}'
    fit = head + b"x" * (MAX_LINE_BYTES - len(head) - len(tail)) + tail
    over = head + b"x" * (MAX_LINE_BYTES + 1 - len(head) - len(tail)) + tail
    assert len(fit) == MAX_LINE_BYTES and len(over) == MAX_LINE_BYTES + 1
    for name, data in [("plain.jsonl", b""), ("zip.jsonl.gz", None)]:
        raw = fit + b"\n" + over + b"\n" + fit  # the last line without a newline
        p = tmp_path / name
        p.write_bytes(raw if data is not None else gzip.compress(raw))
        kinds = [type(i).__name__ for i in read_events(p)]
        assert kinds == ["Event", "Finding", "Event"], name


def test_a_corrupt_deflate_block_is_a_finding(tmp_path: Path) -> None:
    good = gzip.compress(events_jsonl().encode())
    body = bytearray(good)
    body[20:40] = b"\xff" * 20  # inside the deflate data
    p = tmp_path / "bad.jsonl.gz"
    p.write_bytes(bytes(body))
    items = list(read_events(p))
    assert items and not isinstance(items[-1], Event)
    assert items[-1].code == "event-stream-corrupt"


def test_the_bomb_through_the_command(cli: Any, ws: Path, tmp_path: Path) -> None:
    path = gzip_bomb(tmp_path / "bomb.jsonl.gz", 32 << 20)
    r = cli("simulate", "--events", path, "-w", ws, "--format", "json")
    assert r.exit_code == 1
    (run,) = json.loads(r.stdout)["runs"]
    assert [f["message"] for f in run["findings"]] == [
        "the line is longer than 1 MiB; it was skipped"
    ]
    assert zlib  # the bomb is built with zlib's gzip members, never committed
