"""Stand-ins for the systems behind the example connectors (python transports).

Each is `function(operation, payload) -> dict`, deterministic, with a small in-memory
data set, so the example workspace runs offline and the same input gives the same output.
"""
