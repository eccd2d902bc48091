"""`agentctl serve`: live intake (CloudEvents over HTTP or JSONL), a durable queue, and the
process that feeds the queued events to a consumer (the worker that decides and acts).

- cloudevents.py: validation of CloudEvents 1.0 JSON (pure: bytes in, events or problems out)
- queue.py: the durable SQLite queue beside the ledger, and its group-commit writer
- metrics.py: the counters `/metrics` shows (the worker increments its own there)
- http.py: the HTTP intake (stdlib server, HMAC or bearer auth, size limits)
- server.py: the process: intake + queue + consumer, signals, shutdown
- worker.py: the consumer: queued events → the engine → policy_decision events → actions
- actions.py: actions at most once (journaled intents), notify webhooks
- tasks.py: human tasks (ledger events); schedule.py: cron firings; drift.py: drift events
"""
