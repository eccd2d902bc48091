"""The runtime: runs a charter's agent with every call passing the guard (docs/runtime.md).

Agents may import the exceptions from here: `from agentctl.runtime import Denied`.
"""

from agentctl.runtime.errors import AgentFailed, Denied, RuntimeProblem, Stopped, ToolError

__all__ = ["AgentFailed", "Denied", "RuntimeProblem", "Stopped", "ToolError"]
