"""The cassette itself (agentctl/evals/cassette.py), called directly with values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentctl.errors import ConfigError
from agentctl.evals.cassette import (
    RECORD,
    Cassette,
    CassetteMismatch,
    file_name,
    first_difference,
)
from agentctl.runtime.errors import ToolError

REQ = {"connector": "web", "operation": "lookup", "input": {"q": 1, "tags": ["a", "b"]}}


def _recorded(*answers: Any) -> Cassette:
    tape = Cassette("evals/recordings/s/c.json", RECORD, "c", "s", secrets=["s3cret"])
    for a in answers:

        def perform(a: Any = a) -> dict[str, Any]:
            if isinstance(a, Exception):
                raise a
            return dict(a)

        if isinstance(a, Exception):
            with pytest.raises(ToolError):
                tape.exchange(REQ, perform)
        else:
            tape.exchange(REQ, perform)
    return Cassette.load(tape.dump(), tape.where, "s", "c")


def _never() -> dict[str, Any]:
    raise AssertionError("a replay performed a request")


def test_first_difference_names_the_path() -> None:
    assert first_difference(REQ, json.loads(json.dumps(REQ))) is None
    got = {**REQ, "input": {"q": 1, "tags": ["a", "c"]}}
    assert first_difference(REQ, got) == ("input.tags[1]", "b", "c")
    assert first_difference({"a": 1}, {"a": 1, "b": 2}) == ("b", "(absent)", 2)
    assert first_difference([1], [1, 2]) == (" (length)", 1, 2)
    assert first_difference({"a": 1}, {"a": 1.5}) == ("a", 1, 1.5)
    assert first_difference({"a": True}, {"a": 1}) == ("a", True, 1)


def test_replay_answers_in_order_and_performs_nothing() -> None:
    tape = _recorded({"output": {"n": 1}}, {"output": {"n": 2}})
    assert tape.replaying
    assert tape.exchange(REQ, _never) == {"output": {"n": 1}}
    assert tape.exchange(REQ, _never) == {"output": {"n": 2}}
    with pytest.raises(CassetteMismatch) as one_more:
        tape.exchange(REQ, _never)
    assert one_more.value.field == "(request)"
    assert one_more.value.expected == "no more requests"
    assert "request 3" in one_more.value.message


def test_a_mismatch_sticks_and_is_never_performed() -> None:
    tape = _recorded({"output": {"n": 1}}, {"output": {"n": 2}})
    changed = {**REQ, "input": {"q": 2, "tags": ["a", "b"]}}
    with pytest.raises(CassetteMismatch) as exc:
        tape.exchange(changed, _never)
    assert (exc.value.field, exc.value.expected, exc.value.got) == ("input.q", "1", "2")
    assert exc.value.message == (
        "cassette mismatch in case 'c' (evals/recordings/s/c.json, request 1): "
        "input.q: expected 1, got 2"
    )
    # the agent may swallow it; the cassette keeps it and answers nothing more
    assert tape.mismatch is exc.value
    with pytest.raises(CassetteMismatch):
        tape.exchange(REQ, _never)


def test_a_recorded_error_replays_as_the_same_error() -> None:
    tape = _recorded(ToolError("connector/web: HTTP 503 from x", hint="retry later"))
    with pytest.raises(ToolError) as exc:
        tape.exchange(REQ, _never)
    assert (exc.value.message, exc.value.hint) == ("connector/web: HTTP 503 from x", "retry later")
    assert tape.mismatch is None


def test_secrets_are_redacted_before_writing_and_comparing() -> None:
    secret_req = {**REQ, "input": {"q": "s3cret"}}
    tape = Cassette("x.json", RECORD, "c", "s", secrets=["s3cret"])
    tape.exchange(secret_req, lambda: {"output": {"echo": "s3cret", "auth": "Bearer abc.def"}})
    data = tape.dump().decode()
    assert "s3cret" not in data and "abc.def" not in data
    replay = Cassette.load(tape.dump(), "x.json", "s", "c")
    replay.secrets = ["s3cret"]
    assert replay.exchange(secret_req, _never)["output"]["echo"] == "[REDACTED]"


def test_the_file_is_sorted_and_stable() -> None:
    a = _recorded({"output": {"b": 1, "a": 2}})
    b = _recorded({"output": {"a": 2, "b": 1}})
    assert a.dump() == b.dump()
    text = a.dump().decode()
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2) + "\n"
    assert list(json.loads(text)) == ["case", "format_version", "interactions", "suite"]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'{"format_version": 1,\n "interactions": [}', "x.json:2:19"),
        (b'{"format_version": 2, "interactions": []}', "x.json:1:1"),
        (b'{"format_version": 1, "interactions": [{"response": {}}]}', "x.json:1:1"),
        (b"[]", "x.json:1:1"),
    ],
)
def test_a_malformed_cassette_is_refused_with_its_place(data: bytes, where: str) -> None:
    with pytest.raises(ConfigError) as exc:
        Cassette.load(data, "x.json", "s", "c")
    assert exc.value.message.startswith(where + ": not a cassette")
    assert exc.value.hint == "re-record it with agentctl eval --record"


def test_one_file_per_case() -> None:
    assert file_name("where-is-my-refund") == "where-is-my-refund.json"
    odd = file_name("../etc/passwd")
    assert "/" not in odd and odd.endswith(".json") and odd.startswith("etc-passwd-")
    assert file_name("a b") != file_name("a/b")


def test_the_folder_is_the_suites_dir_or_recordings_beside_it() -> None:
    from agentctl.evals.cassette import folder

    assert folder("evals/s.yaml", "s", "evals/recordings/s") == "evals/recordings/s"
    assert folder("evals/s.yaml", "s", None) == "evals/recordings/s"
    assert folder("qa/deep/s.yaml", "s", None) == "qa/deep/recordings/s"
    for bad in ("../outside", "/tmp/x"):
        with pytest.raises(ConfigError) as exc:
            folder("evals/s.yaml", "s", bad)
        assert exc.value.message.startswith("evals/s.yaml: recording.dir ")
