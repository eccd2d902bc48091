"""Deployments: environments and their applied state (state.py), plan (desired vs applied),
apply (gates, approvals, one ledger transaction, a lock per environment) and rollback.
docs/deploy.md documents them."""
