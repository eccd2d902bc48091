"""Where a workspace keeps its ledger: spec.ledger in agentctl.yaml, relative to the root."""

from __future__ import annotations

from pathlib import Path

DEFAULT = ".agentctl/ledger.db"


def ledger_path(root: Path) -> Path:
    """The ledger file of the workspace at `root` (the default when the setting is absent).

    Reads agentctl.yaml alone, not the whole workspace: ledger commands must work even
    when some other file in the workspace does not load.
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
                value = got.strip()
                break
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path
