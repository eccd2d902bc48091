"""`agentctl inventory`: what the workspace holds, per kind, in 80 columns or as JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import agentctl_bin, commit_all, write

from agentctl.render.inventory import ORDER, Entry, Inventory, kind_named, render_text
from agentctl.scaffold import scaffold

HERE = Path(__file__).resolve().parent
WS = HERE / "ws"
REPO = HERE.parents[1]


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def test_text_snapshot(cli, snapshot) -> None:
    r = cli("inventory", "-w", WS)
    assert r.exit_code == 0
    assert widest(r.stdout) <= 80
    assert "\x1b[" not in r.stdout
    assert r.stdout == snapshot
    # the bad file is not hidden: stderr says so, and lint tells what
    assert r.stderr == (
        "agentctl: 2 error(s) while loading: entries may be missing or incomplete;"
        " run 'agentctl lint'\n"
    )


def test_json_snapshot(cli, snapshot) -> None:
    r = cli("inventory", "-w", WS, "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["format_version"] == 1
    assert data["summary"]["load_errors"] == 2
    assert r.stdout == snapshot


def test_facts(cli) -> None:
    data = json.loads(cli("inventory", "-w", WS, "-f", "json").stdout)
    facts = {r["ref"]: r["fact"] for r in data["resources"]}
    assert facts["charter/order-bot"] == "command · 2 scopes · $0.125/run"
    assert facts["charter/summarizer"] == "model · 1 scope · no USD limit per run · PAUSED"
    assert facts["policy/late-orders"] == "on order.created, order.updated +2 · for 1h30m"
    assert facts["policy/daily-summary"] == "on clock.daily · at once"
    assert facts["contract/bot-summary"] == "order-bot → summarizer"
    assert facts["evalsuite/order-bot-core"] == "order-bot · 4 cases"  # 1 inline + 3 in JSONL
    assert facts["evalsuite/summarizer-smoke"] == "summarizer · 0 cases + missing smoke.jsonl"
    assert facts["role/ops-lead"] == "approves $2,500.50 · reports to cfo · 2 members"
    assert facts["connector/shop"] == "http · 3 operations (1 write, 1 destructive)"
    details = {r["ref"]: r["details"] for r in data["resources"]}
    assert details["charter/order-bot"]["budget_per_run"] == {
        "usd": 0.125,
        "steps": 8,
        "wall_time": "1m30s",
    }
    assert details["evalsuite/summarizer-smoke"]["cases"] is None


def test_every_example_resource_is_listed_at_its_place(cli) -> None:
    """The repository's example workspace: whatever exists, listed once, where it is."""
    lint = json.loads(cli("lint", "-w", REPO, "-f", "json", "--today", "2026-11-25").stdout)
    r = cli("inventory", "-w", REPO, "-f", "json")
    data = json.loads(r.stdout)
    counts = {k: v for k, v in lint["summary"]["resources"].items() if k != "Workspace"}
    assert data["summary"]["resources"] == counts
    for res in data["resources"]:
        line = (REPO / res["file"]).read_text().splitlines()[res["line"] - 1]
        assert line.split(":")[0].strip() in ("apiVersion", "kind", "metadata"), res["ref"]
    text = cli("inventory", "-w", REPO).stdout
    assert widest(text) <= 80
    for res in data["resources"]:
        assert f"  {res['name']} " in text or f"  {res['name']}\n" in text


@pytest.mark.parametrize("spelling", ["charter", "Charters", "CHARTER"])
def test_one_kind(cli, spelling: str) -> None:
    r = cli("inventory", spelling, "-w", WS)
    assert r.exit_code == 0
    assert r.stdout.startswith("Workspace inv-demo: 2 resources in 1 file\n\nCharters (2)\n")
    assert "Roles" not in r.stdout


def test_kind_aliases() -> None:
    assert kind_named("suites") == kind_named("evalsuite") == "EvalSuite"
    assert kind_named("policies") == "Policy"
    assert kind_named("workspace") is None


def test_unknown_kind_is_a_usage_error(cli) -> None:
    r = cli("inventory", "chartr", "-w", WS)
    assert r.exit_code == 2
    assert r.stderr == ("agentctl: error: unknown kind 'chartr'\n  hint: did you mean 'charter'?\n")
    assert cli("inventory", "-w", WS, "-f", "sarif").exit_code == 2


def test_an_empty_kind(tmp_path: Path, cli) -> None:
    write(
        tmp_path / "agentctl.yaml",
        "apiVersion: agentctl/v1\nkind: Workspace\nmetadata: {name: e}\n",
    )
    r = cli("inventory", "scenarios", "-w", tmp_path)
    assert (r.exit_code, r.stdout) == (0, "Workspace e: 0 resources in 0 files\nNo Scenarios.\n")
    r = cli("inventory", "-w", tmp_path)
    assert r.stdout == "Workspace e: 0 resources in 0 files\nNo resources.\n"


def test_rev_reads_the_workspace_as_committed(git_repo: Path, cli) -> None:
    shutil.copytree(WS, git_repo, dirs_exist_ok=True)
    commit_all(git_repo, "inventory demo")
    # after the commit: a fourth case in the file, one charter gone
    with (git_repo / "evals" / "order-bot-cases.jsonl").open("a") as fh:
        fh.write('{"id": "d"}\n')
    agents = git_repo / "charters" / "agents.yaml"
    agents.write_text(agents.read_text().split("---")[0])
    now = json.loads(cli("inventory", "-w", git_repo, "-f", "json").stdout)
    then = json.loads(cli("inventory", "-w", git_repo, "--rev", "HEAD", "-f", "json").stdout)
    assert then["rev"] == "HEAD" and len(then["commit"]) == 40
    assert now["summary"]["resources"]["Charter"] == 1
    assert then["summary"]["resources"]["Charter"] == 2
    facts = {r["ref"]: r["fact"] for r in then["resources"]}
    assert facts["evalsuite/order-bot-core"] == "order-bot · 4 cases"
    facts = {r["ref"]: r["fact"] for r in now["resources"]}
    assert facts["evalsuite/order-bot-core"] == "order-bot · 5 cases"
    text = cli("inventory", "-w", git_repo, "--rev", "HEAD").stdout
    assert text.startswith("Workspace inv-demo at HEAD: 12 resources in 6 files\n")


def test_colour_only_when_asked_and_never_with_no_color(cli, monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = cli("inventory", "-w", WS).stdout
    assert "\x1b[1mWorkspace inv-demo\x1b[0m" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in cli("inventory", "-w", WS).stdout
    monkeypatch.delenv("NO_COLOR")
    assert "\x1b[" not in cli("inventory", "-w", WS, "-f", "json").stdout
    assert "\x1b[" not in cli("--no-color", "inventory", "-w", WS).stdout


def test_one_line_a_resource_when_everything_fits(tmp_path: Path, cli, snapshot) -> None:
    for rel, text in scaffold("tiny", date(2026, 1, 1)).items():
        if rel.startswith("evals/") or rel == "agentctl.yaml":
            write(tmp_path / rel, text)
    r = cli("inventory", "-w", tmp_path)
    assert r.stdout == snapshot
    assert "  FACT" in r.stdout


def test_installed_command(tmp_path: Path) -> None:
    p = subprocess.run(
        [agentctl_bin(), "inventory", "--format", "json"], cwd=WS, capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["workspace"] == "inv-demo"


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-./0123456789", min_size=1, max_size=90)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ORDER), WORDS, st.none() | WORDS, WORDS, st.integers(1, 10**6), WORDS
        ),
        min_size=1,
        max_size=8,
    )
)
def test_text_always_fits_80_columns(
    rows: list[tuple[str, str, str | None, str, int, str]],
) -> None:
    inv = Inventory("ws", None, None)
    for kind, name, owner, file, line, fact in rows:
        entry = Entry(kind, name, owner and f"role/{owner}", file, line, fact, {})
        inv.entries.setdefault(kind, []).append(entry)
    text = render_text(inv)
    assert widest(text) <= 80, text
    for _kind, name, *_ in rows:  # names are kept whole up to 32 columns, then clipped
        assert f"  {name} " in text if len(name) <= 32 else f"  {name[:31]}… " in text


def test_errors_that_stop_the_listing_exit_2(git_repo: Path, tmp_path: Path, cli) -> None:
    shutil.copytree(WS, git_repo, dirs_exist_ok=True)
    commit_all(git_repo, "demo")
    r = cli("inventory", "-w", git_repo, "--rev", "no-such-branch")
    assert r.exit_code == 2
    assert "unknown git revision 'no-such-branch'" in r.stderr
    r = cli("inventory", cwd=tmp_path)
    assert r.exit_code == 2
    assert "no agentctl.yaml in" in r.stderr and "agentctl init" in r.stderr
