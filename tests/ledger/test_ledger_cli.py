"""`agentctl ledger …` through the CLI entry point: exact messages and exit codes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from agentctl.ledger import Ledger, schema
from agentctl.render.envelope import envelope


@pytest.fixture(autouse=True)
def _now(monkeypatch: pytest.MonkeyPatch, data) -> None:
    monkeypatch.setenv("AGENTCTL_NOW", data.NOW)


def test_verify_intact(cli, sample_ledger: Path) -> None:
    r = cli("ledger", "verify", "--ledger", sample_ledger)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith(f"ledger {sample_ledger}\n51 events, chain intact (last seq 51, ")
    j = json.loads(cli("ledger", "verify", "-l", sample_ledger, "--format", "json").stdout)
    assert j["format_version"] == 1 and j["ok"] is True and j["events"] == 51


def test_verify_names_the_changed_row(cli, sample_ledger: Path) -> None:
    conn = sqlite3.connect(sample_ledger)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET status = 'ok' WHERE seq = 24")
    conn.commit()
    conn.close()
    r = cli("ledger", "verify", "-l", sample_ledger)
    assert r.exit_code == 1
    assert r.stdout.splitlines()[1:] == [
        "51 events, 2 problems",
        "  changed: seq 24 was changed: its content no longer matches its hash",
        "  schema: trigger events_no_update is missing (schema version 2 defines it)",
    ]


def test_triggers_refuse_update_and_delete(sample_ledger: Path) -> None:
    conn = sqlite3.connect(sample_ledger)
    for sql, msg in [
        ("UPDATE events SET cost_usd = 0", "the ledger is append-only: events cannot be updated"),
        ("DELETE FROM events", "the ledger is append-only: events cannot be deleted"),
        ("DELETE FROM payloads", "payloads cannot be deleted: use agentctl ledger erase"),
        ("UPDATE payloads SET content = '{}'", "payloads can only be erased"),
        ("DELETE FROM event_data_classes", "data-class rows cannot be deleted"),
    ]:
        with pytest.raises(sqlite3.IntegrityError, match=msg):
            conn.execute(sql)


def test_checkpoint_then_truncation_is_caught(cli, sample_ledger: Path, tmp_path: Path) -> None:
    cp = tmp_path / "audit" / "cp.json"
    r = cli("ledger", "checkpoint", "-l", sample_ledger, "--out", cp)
    assert r.exit_code == 0 and r.stderr == f"checkpoint of 51 events written to {cp}\n"
    body = json.loads(cp.read_text())
    assert body["type"] == "agentctl-ledger-checkpoint" and body["tree_size"] == 51
    assert body["created"] == "2026-03-08T12:00:00.000000Z"
    ok = cli("ledger", "verify", "-l", sample_ledger, "--checkpoint", cp)
    assert ok.exit_code == 0 and "checkpoint: the first 51 events match its root" in ok.stdout
    conn = sqlite3.connect(sample_ledger)
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute("DROP TRIGGER edc_no_delete")
    conn.execute("DELETE FROM events WHERE seq > 49")
    conn.execute("DELETE FROM event_data_classes WHERE seq > 49")
    for stmt in schema.statements(schema.ALL):  # and puts the triggers back
        if stmt.startswith("CREATE TRIGGER"):
            conn.execute(stmt)
    conn.commit()
    conn.close()
    assert cli("ledger", "verify", "-l", sample_ledger).exit_code == 0  # the chain alone: fine
    r = cli("ledger", "verify", "-l", sample_ledger, "-c", cp)
    assert r.exit_code == 1
    assert (
        "  truncated: the checkpoint covers 51 events, the ledger holds 49: seq 50\n"
        "    onwards were removed\n" in r.stdout
    )


def test_later_checkpoints_prove_they_extend_earlier_ones(
    cli, sample_ledger: Path, tmp_path: Path, data
) -> None:
    from agentctl.ledger import checkpoint as cpmod

    old = tmp_path / "old.json"
    assert cli("ledger", "checkpoint", "-l", sample_ledger, "-o", old).exit_code == 0
    with Ledger.open(sample_ledger) as led:
        led.append(data.run_events(99, "claims-intake", "v9", 10 * 86400))
    r = cli("ledger", "checkpoint", "-l", sample_ledger, "--previous", old)
    assert r.exit_code == 0
    new = json.loads(r.stdout)
    assert new["tree_size"] == 55 and new["consistency"]["from_tree_size"] == 51
    assert cpmod.extends(json.loads(old.read_text()), new)
    forged = {**new, "root_hash": "00" * 32}
    assert not cpmod.extends(json.loads(old.read_text()), forged)


def test_bad_checkpoint_file(cli, sample_ledger: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  nope")
    r = cli("ledger", "verify", "-l", sample_ledger, "-c", bad)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"agentctl: error: {bad}:2:3: not a checkpoint: ")
    bad.write_text('{"type": "something"}')
    r = cli("ledger", "verify", "-l", sample_ledger, "-c", bad)
    assert r.stderr.splitlines()[0] == (
        f'agentctl: error: {bad}: not a checkpoint: no "type": "agentctl-ledger-checkpoint"'
    )


def test_missing_and_non_ledger_files(cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    r = cli("ledger", "query", "-l", missing)
    assert r.exit_code == 2
    assert r.stderr == (
        f"agentctl: error: no ledger at {missing}\n"
        "  hint: run an agent first (agentctl run), or pass --ledger FILE\n"
    )
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    r = cli("ledger", "query", "-l", junk)
    assert r.exit_code == 2
    assert r.stderr.startswith(
        f"agentctl: error: {junk}: not an agentctl ledger (file is not a database)"
    )
    assert "Traceback" not in r.stderr
    assert cli("ledger", "verify", "-l", junk).exit_code == 1  # verify: a failed verification
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    r = cli("ledger", "show", "-l", other, "abc")
    assert r.exit_code == 2 and "not an agentctl ledger (it has no ledger tables)" in r.stderr


def test_ledger_path_from_the_workspace(cli, tmp_path: Path, data) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "agentctl.yaml").write_text(
        "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: w, owner: role/x}\n"
        "spec: {ledger: var/trace.db}\n"
    )
    with Ledger.open(ws / "var" / "trace.db") as led:
        led.append(data.run_events(1, "a", "v1", 0))
    r = cli("ledger", "verify", "-w", ws)
    assert r.exit_code == 0 and r.stdout.startswith(f"ledger {ws / 'var' / 'trace.db'}\n4 events")
    r = cli("ledger", "verify", cwd=ws / "var")
    assert r.exit_code == 0


def test_query_filters(cli, sample_ledger: Path) -> None:
    r = cli(
        "ledger", "query", "-l", sample_ledger, "--data-class", "ssn", "--since", "7d", "--agents"
    )
    assert r.exit_code == 0
    assert r.stdout.splitlines()[1:] == [
        "claims-intake                          2  2026-03-04 09:00  2026-03-04 09:01",
        "replenishment-planner                  5  2026-03-01 12:00  2026-03-02 12:00",
    ]
    j = json.loads(
        cli("ledger", "query", "-l", sample_ledger, "-k", "denial,escalation", "-f", "json").stdout
    )
    assert [(e["seq"], e["kind"]) for e in j["events"]] == [
        (24, "denial"),
        (30, "escalation"),
        (36, "denial"),
    ]
    lines = cli(
        "ledger",
        "query",
        "-l",
        sample_ledger,
        "--status",
        "denied",
        "-a",
        "replenishment-planner",
        "-f",
        "jsonl",
    ).stdout.splitlines()
    assert [json.loads(x)["attrs"]["reason"] for x in lines] == [
        "scope billing.write not granted"
    ] * 2
    r = cli(
        "ledger",
        "query",
        "-l",
        sample_ledger,
        "--data-class",
        "pii.*",
        "--until",
        "2026-03-01T10:00:00Z",
        "--limit",
        "1",
    )
    assert r.stdout.splitlines()[1].split()[:4] == ["3", "2026-03-01", "09:00:00", "tool_call"]
    assert (
        cli("ledger", "query", "-l", sample_ledger, "-d", "nothing").stdout
        == "no matching events\n"
    )
    bad = cli("ledger", "query", "-l", sample_ledger, "--since", "last week")
    assert bad.exit_code == 2 and bad.stderr.startswith(
        "agentctl: error: --since 'last week' is neither a duration"
    )


def test_data_class_query_uses_the_index(sample_ledger: Path) -> None:
    with Ledger.open(sample_ledger, readonly=True) as led:
        plan = str(
            led.conn.execute(
                "EXPLAIN QUERY PLAN SELECT DISTINCT principal FROM event_data_classes "
                "WHERE data_class IN (?) AND ts >= ? AND ts < ?",
                ("a", "b", "c"),
            ).fetchall()
        )
    assert "edc_class_ts_principal" in plan


def test_show_trace_tree(cli, sample_ledger: Path, snapshot) -> None:
    r = cli("ledger", "show", "-l", sample_ledger, "0000000000000000000000000000000c")
    assert r.exit_code == 0
    assert all(len(line) <= 80 for line in r.stdout.splitlines())
    assert r.stdout == snapshot
    r = cli("ledger", "show", "-l", sample_ledger, "00000000")
    assert r.exit_code == 2 and "is ambiguous" in r.stderr
    r = cli("ledger", "show", "-l", sample_ledger, "ffff")
    assert r.exit_code == 2 and r.stderr.startswith("agentctl: error: no trace 'ffff' in")


def test_report(cli, sample_ledger: Path, snapshot) -> None:
    r = cli("ledger", "report", "-l", sample_ledger)
    assert r.exit_code == 0
    assert all(len(line) <= 80 for line in r.stdout.splitlines())
    assert r.stdout == snapshot
    j = json.loads(cli("ledger", "report", "-l", sample_ledger, "-f", "json").stdout)
    planner = next(c for c in j["charters"] if c["charter"] == "replenishment-planner")
    v1, v2 = planner["versions"]
    assert (v1["runs"], v1["success_rate"], v1["latency_p95_ms"]) == (4, 1.0, 1300.0)
    assert (v2["runs"], v2["success_rate"], v2["denials"], v2["escalations"]) == (4, 0.75, 2, 1)
    assert v2["sla_misses"] == {}  # the consumer asked; the miss is its provider's
    (provider,) = [c for c in j["charters"] if c["charter"] == "procurement"]
    # the sample has no provider runs: the version that answered is unknown
    assert [(v["version"], v["sla_misses"]) for v in provider["versions"]] == [
        ("", {"planner-procurement": 1})
    ]
    assert v2["delta"] == {
        "success_rate": -0.25,
        "cost_per_action": 0.0,
        "latency_p50_ms": 1200.0,
        "latency_p95_ms": 1600.0,
        "denials_per_run": 0.5,
    }
    assert j["contracts"] == [
        {
            "contract": "planner-procurement",
            "provider": "procurement",
            "consumer": "replenishment-planner",
            "requests": 8,
            "sla_misses": 1,
            "uncounted_misses": 0,
            "miss_rate": 0.125,
        }
    ]


def test_sql_is_read_only(cli, sample_ledger: Path) -> None:
    r = cli(
        "ledger",
        "sql",
        "-l",
        sample_ledger,
        "SELECT data_class, count(DISTINCT agent) AS agents FROM v_data_class_access GROUP BY 1",
    )
    assert r.exit_code == 0
    assert r.stdout == "data_class  agents\ninternal    2\npii.ssn     2\n"
    for stmt in [
        "DELETE FROM events",
        "UPDATE payloads SET content = NULL",
        "DROP TABLE events",
        "PRAGMA query_only = OFF",
        "ATTACH DATABASE 'x.db' AS x",
        "CREATE TABLE t (x)",
        "INSERT INTO meta VALUES ('a', 'b')",
    ]:
        r = cli("ledger", "sql", "-l", sample_ledger, stmt)
        assert r.exit_code == 2, stmt
        assert r.stderr.startswith("agentctl: error: ledger sql is read-only"), (stmt, r.stderr)
    r = cli("ledger", "sql", "-l", sample_ledger, "SELEC 1")
    assert r.exit_code == 2 and r.stderr.startswith("agentctl: error: SQL error: near")
    assert cli("ledger", "verify", "-l", sample_ledger).exit_code == 0
    j = json.loads(
        cli("ledger", "sql", "-l", sample_ledger, "SELECT 1 AS one", "-f", "json").stdout
    )
    assert j == {**envelope({}), "columns": ["one"], "rows": [{"one": 1}]}


def test_erase_keeps_the_chain_valid(cli, sample_ledger: Path, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")
    trace = "00000000000000000000000000000001"
    r = cli("ledger", "erase", "-l", sample_ledger, "--trace", trace, "--reason", "GDPR art. 17")
    assert r.exit_code == 0, r.stderr
    # its model output, tool output and run output are shared with other runs: they stay
    assert r.stdout == (
        "erased 6 payload references: 3 payloads wiped, 3 kept for other events\n"
        "recorded as event seq 52, by octocat\n"
    )
    with Ledger.open(sample_ledger, readonly=True) as led:
        contents = led.conn.execute(
            "SELECT p.content FROM events e JOIN payloads p ON p.hash = e.input_hash "
            "WHERE e.trace_id = ?",
            (trace,),
        ).fetchall()
        assert contents and all(c[0] is None for c in contents)
        ev = led.conn.execute("SELECT kind, principal, attrs FROM events WHERE seq = 52").fetchone()
        assert ev[0] == "erase" and ev[1] == "octocat"
        attrs = json.loads(ev[2])
        assert attrs["reason"] == "GDPR art. 17" and attrs["by"] == "octocat"
        assert attrs["request"] == {"trace": trace}
    assert cli("ledger", "verify", "-l", sample_ledger).exit_code == 0
    again = cli(
        "ledger",
        "erase",
        "-l",
        sample_ledger,
        "--trace",
        trace,
        "-r",
        "again",
        "--by",
        "dpo",
    )
    assert again.exit_code == 0, again.stderr
    assert again.stdout == (
        "erased 0 payload references: 0 payloads wiped\nrecorded as event seq 53, by dpo\n"
    )
    r = cli("ledger", "erase", "-l", sample_ledger, "-p", "ab" * 32, "-r", "x")
    assert r.exit_code == 2 and r.stderr.startswith(f"agentctl: error: no payload '{'ab' * 32}'")
    r = cli("ledger", "erase", "-l", sample_ledger, "-r", "x")
    assert r.exit_code == 2 and "give --payload HASH (repeatable) or --trace" in r.stderr
    r = cli("ledger", "erase", "-l", sample_ledger, "-t", trace, "-r", "  ")
    assert r.exit_code == 2 and r.stderr.startswith("agentctl: error: an erasure needs a reason")
    j = json.loads(
        cli("ledger", "erase", "-l", sample_ledger, "-t", trace, "-r", "x", "-f", "json").stdout
    )
    assert j["format_version"] == 1 and j["erase_event_seq"] == 54 and j["erased"] == []


def test_every_ledger_command_has_help_with_an_example(cli) -> None:
    for name in ["verify", "checkpoint", "query", "show", "sql", "report", "export", "erase"]:
        r = cli("ledger", name, "--help")
        assert r.exit_code == 0 and "Example: agentctl ledger " + name in r.stdout, name
