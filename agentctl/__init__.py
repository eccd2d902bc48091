"""agentctl: governance of AI agents as code in git."""

__version__ = "0.1.0"
API_VERSION = "agentctl/v1"
# spec.ledger when agentctl.yaml names none: here, so that the model's default and the
# ledger commands' resolver (agentctl.ledger.location) share it without importing each other
DEFAULT_LEDGER = ".agentctl/ledger.db"
