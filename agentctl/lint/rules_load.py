"""Findings the loader reports: documented here so `explain` and SARIF know them."""

from agentctl.findings import Severity
from agentctl.lint.registry import loader_rule

E, W = Severity.ERROR, Severity.WARNING

loader_rule(
    "yaml-syntax",
    E,
    "The file is not valid YAML.",
    """
The YAML parser stopped at this place. Everything after it in the file is not read, so
the resources it holds are missing from the workspace. Tabs used for indentation are the
most common cause: YAML allows only spaces there.
""",
)
loader_rule(
    "yaml-encoding",
    E,
    "The file is not UTF-8 text.",
    """
agentctl reads YAML as UTF-8 (a byte-order mark is allowed). A byte that cannot be decoded,
or a NUL character, usually means a file saved in another encoding or a binary file with a
.yaml name. Re-save it as UTF-8.
""",
)
loader_rule(
    "yaml-duplicate-key",
    E,
    "A mapping has the same key twice.",
    """
Most YAML parsers silently keep one of two duplicate keys, so a reviewer may read the value
that is not used. agentctl keeps the first and reports the second: remove or rename one.
""",
)
loader_rule(
    "yaml-empty",
    W,
    "A file or document is empty.",
    """
An empty file, or a stray `---` that starts an empty document, holds no resource. It is
harmless but usually a mistake (a resource deleted by accident, a merge gone wrong).
""",
)
loader_rule(
    "yaml-tag",
    E,
    "A YAML tag that agentctl does not read.",
    """
agentctl reads plain YAML: mappings, lists, strings, numbers, booleans and null. Explicit
tags such as `!!python/object` or custom `!Ref` tags are refused, which also keeps the
loader safe with untrusted files.
""",
)
loader_rule(
    "yaml-key",
    E,
    "A mapping key that is not a plain string.",
    """
Keys must be strings. Complex keys (a list or a mapping used as a key) are valid YAML but
mean nothing to agentctl.
""",
)
loader_rule(
    "yaml-merge",
    E,
    "A `<<` merge key that does not merge a mapping.",
    """
`<<: *anchor` merges the keys of a mapping (or of a list of mappings) into this one. Any
other value there is an error.
""",
)
loader_rule(
    "yaml-recursive",
    E,
    "An alias that contains itself.",
    """
An anchor whose value refers back to itself makes an infinite structure. agentctl stops
there instead of looping.
""",
)
loader_rule(
    "yaml-too-large",
    E,
    "A document that expands to too many values.",
    """
Aliases that repeat aliases multiply ("billion laughs"). agentctl refuses documents that
expand to more than a million values rather than exhaust memory.
""",
)
loader_rule(
    "yaml-too-deep",
    E,
    "A document nested too deeply to read.",
    "Mappings and lists nested more than 100 levels deep are refused; flatten the document.",
)
loader_rule(
    "not-a-mapping",
    E,
    "A document that is not a mapping.",
    """
Every document has the envelope `apiVersion`, `kind`, `metadata` and `spec`. A document
that is a list or a single value cannot be a resource.
""",
)
loader_rule(
    "unknown-api-version",
    E,
    "An apiVersion this agentctl does not read.",
    "Documents declare `apiVersion: agentctl/v1`. Another version needs another agentctl.",
)
loader_rule(
    "unknown-kind",
    E,
    "A kind that does not exist.",
    """
The kinds are Role, Connector, Charter, Policy, Contract, EvalSuite, Scenario and Workspace
(only in agentctl.yaml). Kinds are case-sensitive.
""",
)
loader_rule(
    "unknown-field",
    E,
    "A field that the kind does not have.",
    """
Unknown fields are refused rather than ignored: a misspelt `budjet:` would otherwise leave an
agent without the budget its authors meant to give it. The hint suggests the closest field.
""",
)
loader_rule(
    "missing-field",
    E,
    "A required field is missing.",
    "The kind requires this field; `agentctl schema KIND` shows every field.",
)
loader_rule(
    "schema",
    E,
    "A value of the wrong type or shape.",
    """
The value does not fit the kind's schema: a string where a number belongs, a duration
without a unit (`90` instead of `90s`), a reference to the wrong kind, a malformed name.
Editors that read the `# yaml-language-server: $schema=` line catch these as you type.
""",
)
loader_rule(
    "misplaced-settings",
    E,
    "Workspace settings outside agentctl.yaml.",
    "A `kind: Workspace` document belongs in agentctl.yaml at the workspace root, once.",
)
loader_rule(
    "missing-settings",
    W,
    "No agentctl.yaml at the workspace root.",
    "Without it agentctl uses default settings (ledger path, excludes).",
)
loader_rule(
    "path-outside",
    E,
    "A symlink or a path that leaves the workspace.",
    """
Nothing is read outside the workspace: a pull request could otherwise add a symlink to
`/etc/passwd` (or `~/.ssh/id_rsa`) and have its content printed into findings and CI logs.
A symlink — a file, or a folder on the way — is followed only when it lands inside the
workspace; in a git revision its target is looked up in the same commit, never on the
disk. A path written in YAML (`cases_file`, `events`, `fixture`) is relative to its file,
and may not be absolute or climb out with `..`. Such a file is never opened: copy what
the workspace needs into it.
""",
)
loader_rule(
    "file-too-large",
    E,
    "A file over agentctl's size cap.",
    """
So that no file can exhaust memory, a YAML file over 8 MiB (or a document of more than a
million keys and values), and an eval cases file or connector fixture over 64 MiB, is
refused unread. Event streams have no size cap (they are read line by line), but each line
is capped at 1 MiB. Real files are far below these: split a file that is not.
""",
)
