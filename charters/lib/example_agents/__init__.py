"""The example charters' agents: `function(input, ctx) -> dict`.

They are scripted stand-ins for model-driven agents: deterministic, so evals replay
exactly. Some of them deliberately follow instructions found in their input (as a
model may do when prompted adversarially); the guard, not the agent, is what stops
those calls, and the red-team eval cases prove it.
"""
