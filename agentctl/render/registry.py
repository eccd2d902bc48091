"""Renderers per report type: report → format → "module:function", imported when used.

A command's `--format` choices and their help come from here, and a renderer is a pure
function of the report object: `fn(report, *, color=False, **options) -> str`. Strings,
not functions, so that reading the choices (every `agentctl --help`) imports no renderer.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

Renderer = Callable[..., str]

RENDERERS: dict[str, dict[str, str]] = {
    "lint": {
        "text": "agentctl.render.text:render_lint",
        "json": "agentctl.render.json:render_lint",
        "sarif": "agentctl.render.sarif:render_lint",
        "github": "agentctl.render.github:render_lint",
        "markdown": "agentctl.render.markdown:render_lint",
    },
    "simulation": {
        "text": "agentctl.render.simulate_text:render_simulation",
        "json": "agentctl.render.simulate_json:render_simulation",
        "markdown": "agentctl.render.simulate_markdown:render_simulation",
    },
    "inventory": {
        "text": "agentctl.render.inventory:render_text",
        "json": "agentctl.render.inventory:render_json",
    },
    "diff": {
        "text": "agentctl.render.diff_text:render",
        "json": "agentctl.render.diff_json:render",
        "markdown": "agentctl.render.diff_markdown:render",
        "github": "agentctl.render.diff_github:render",
    },
    "plan": {
        "text": "agentctl.render.plan_text:render",
        "json": "agentctl.render.plan_json:render",
    },
    "approvals": {
        "text": "agentctl.render.approvals:render_text",
        "json": "agentctl.render.approvals:render_json",
    },
    "apply": {
        "text": "agentctl.render.deploy_result:apply_text",
        "json": "agentctl.render.deploy_result:apply_json",
    },
    "rollback": {
        "text": "agentctl.render.deploy_result:rollback_text",
        "json": "agentctl.render.deploy_result:rollback_json",
    },
    "force-unlock": {
        "text": "agentctl.render.deploy_result:unlock_text",
        "json": "agentctl.render.deploy_result:unlock_json",
    },
    "permissions": {
        "text": "agentctl.render.permissions:render_text",
        "json": "agentctl.render.permissions:render_json",
    },
    "run": {
        "text": "agentctl.runtime.summary:render_text",
        "json": "agentctl.runtime.summary:render_json",
    },
    "eval": {
        "text": "agentctl.render.eval_text:render_text",
        "json": "agentctl.render.eval_data:render_json",
        "junit": "agentctl.render.eval_data:render_junit",
        "markdown": "agentctl.render.eval_text:render_markdown",
    },
    "eval-ledger": {
        "text": "agentctl.render.eval_production:render_text",
        "json": "agentctl.render.eval_production:render_json",
    },
    "rule": {
        "text": "agentctl.render.topics:rule_text",
        "json": "agentctl.render.topics:rule_json",
    },
    "topic": {
        "text": "agentctl.render.topics:topic_text",
        "json": "agentctl.render.topics:topic_json",
    },
    "schemas": {
        "text": "agentctl.render.topics:schemas_text",
        "json": "agentctl.render.topics:schemas_json",
    },
    "init": {
        "text": "agentctl.render.topics:init_text",
        "json": "agentctl.render.topics:init_json",
    },
    "tasks": {
        "text": "agentctl.render.tasks:render_text",
        "json": "agentctl.render.tasks:render_json",
    },
    "ledger-verify": {
        "text": "agentctl.render.ledger_formats:verify_text",
        "json": "agentctl.render.ledger_formats:verify_json",
    },
    "ledger-query": {
        "text": "agentctl.render.ledger_formats:query_text",
        "json": "agentctl.render.ledger_formats:query_json",
        "jsonl": "agentctl.render.ledger_formats:query_jsonl",
    },
    "ledger-trace": {
        "text": "agentctl.render.ledger_formats:trace_text",
        "json": "agentctl.render.ledger_formats:trace_json",
    },
    "ledger-sql": {
        "text": "agentctl.render.ledger_formats:sql_text",
        "json": "agentctl.render.ledger_formats:sql_json",
        "jsonl": "agentctl.render.ledger_formats:sql_jsonl",
        "csv": "agentctl.render.ledger_formats:sql_csv",
    },
    "ledger-report": {
        "text": "agentctl.render.ledger_formats:report_text",
        "json": "agentctl.render.ledger_formats:report_json",
    },
    "ledger-erase": {
        "text": "agentctl.render.ledger_formats:erase_text",
        "json": "agentctl.render.ledger_formats:erase_json",
    },
    "pause": {
        "text": "agentctl.render.deploy_ops:pause_text",
        "json": "agentctl.render.deploy_ops:pause_json",
    },
    "status": {
        "text": "agentctl.render.deploy_ops:status_text",
        "json": "agentctl.render.deploy_ops:status_json",
    },
    # an export is data, not a report: its default is JSON lines, not text
    "ledger-export": {
        "jsonl": "agentctl.render.ledger_formats:export_jsonl",
        "otlp-json": "agentctl.render.ledger_formats:export_otlp",
    },
}


def formats(report: str) -> list[str]:
    """The `--format` choices of a report type, the default first."""
    return list(RENDERERS[report])


def renderer(report: str, fmt: str) -> Renderer:
    module, _, name = RENDERERS[report][fmt].partition(":")
    fn: Any = getattr(import_module(module), name)
    return fn  # type: ignore[no-any-return]
