"""Where a workspace keeps its ledger: spec.ledger in agentctl.yaml, relative to the root.

The one resolver: `agentctl run` writes and `agentctl ledger` reads the file it names.
"""

from __future__ import annotations

from pathlib import Path

from agentctl import DEFAULT_LEDGER as DEFAULT


def resolve(root: Path, value: str) -> Path:
    """A spec.ledger value as a path: `~` is the home folder, a relative path is under `root`."""
    path = Path(value.strip() or DEFAULT).expanduser()
    return path if path.is_absolute() else root / path


def ledger_path(root: Path) -> Path:
    """The ledger file of the workspace at `root` (the default when the setting is absent).

    Reads agentctl.yaml alone, not the whole workspace: ledger commands must work even
    when some other file in the workspace does not load. `agentctl run` asks here too, also
    with --rev: the ledger is a local file, and the one `agentctl ledger` reads.
    """
    from agentctl.workspace.loader import SETTINGS_FILE
    from agentctl.workspace.yamlload import parse_bytes

    value = DEFAULT
    settings = root / SETTINGS_FILE
    if settings.is_file():
        docs, _ = parse_bytes(settings.read_bytes())
        for doc in docs:
            spec = doc.data.get("spec") if isinstance(doc.data, dict) else None
            got = spec.get("ledger") if isinstance(spec, dict) else None
            if isinstance(got, str) and got.strip():
                value = got
                break
    return resolve(root, value)


# the files that live beside a ledger: SQLite's own, and the locks the runtime takes on it
COMPANIONS = ("-wal", "-shm", "-journal")


QUEUE_SUFFIX = ".queue"


def queue_path(ledger: Path) -> Path:
    """The intake queue of `agentctl serve`, its own SQLite file beside the ledger it feeds:
    `<ledger>.queue` (its own WAL: intake never waits on a ledger append, nor the reverse)."""
    return ledger.with_name(ledger.name + QUEUE_SUFFIX)


LOCK_KINDS = ("rate", "budget", "contract", "deploy", "serve")


def lock_path(ledger: Path, kind: str, name: str) -> Path:
    """The lock file of one rate limit (a connector), per-day budget (a charter),
    contract ceiling, environment being deployed (apply), or the one `agentctl serve` of
    a ledger (`serve-queue`), beside the ledger it guards: `<ledger>.<kind>-<name>.lock`."""
    assert kind in LOCK_KINDS, kind
    return ledger.with_name(f"{ledger.name}.{kind}-{name}.lock")
