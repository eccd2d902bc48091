"""Who is approving or applying: `--by`, else `$GITHUB_ACTOR` in CI, else git's
`user.email`. The shell resolves it (environment and git are I/O) and passes it in."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from agentctl.errors import UsageError


def in_ci(environ: Mapping[str, str]) -> bool:
    """GitHub Actions, or any CI that sets CI=true."""
    return environ.get("GITHUB_ACTIONS") == "true" or environ.get("CI", "").lower() in (
        "true",
        "1",
    )


def git_email(root: Path) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "config", "user.email"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    email = proc.stdout.strip()
    return email if proc.returncode == 0 and email else None


def resolve(by: str | None, environ: Mapping[str, str], email: str | None) -> str:
    """The identity: `by`, else $GITHUB_ACTOR in CI, else `email` (git user.email)."""
    if by is not None and by.strip():
        return by.strip()
    actor = environ.get("GITHUB_ACTOR", "").strip()
    if actor and in_ci(environ):
        return actor
    if email:
        return email
    raise UsageError(
        "cannot tell who you are",
        hint="pass --by NAME, or set git's user.email (git config user.email you@example.com)",
    )


def identity(by: str | None, environ: Mapping[str, str], root: Path) -> str:
    """`resolve` with git asked only when needed."""
    if (by and by.strip()) or (environ.get("GITHUB_ACTOR") and in_ci(environ)):
        return resolve(by, environ, None)
    return resolve(by, environ, git_email(root))
