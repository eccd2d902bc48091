"""agentctl: governance of AI agents as code in git."""

__version__ = "0.1.0"
API_VERSION = "agentctl/v1"
