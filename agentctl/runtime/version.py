"""The shell side of a run's version: agentctl.model.versions computes it from the files
this reader gives (the working copy, or the checkout of `run --rev`)."""

from __future__ import annotations

from agentctl.model.index import Resource, Workspace
from agentctl.model.kinds import CharterDoc
from agentctl.model.versions import charter_version
from agentctl.runtime.transports import TransportEnv
from agentctl.workspace.paths import PathRefused, TooLarge


def run_version(ws: Workspace, env: TransportEnv, charter: Resource[CharterDoc]) -> str:
    """What the ledger records as the charter's `principal_version` for this run."""

    def read(rel: str) -> bytes | None:
        try:
            return env.read(rel)
        except (OSError, PathRefused, TooLarge):
            return None  # unreadable counts as absent (the digest records None for it)

    return charter_version(ws, charter, read)
