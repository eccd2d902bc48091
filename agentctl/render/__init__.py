"""Renderers: pure functions from a report object to text. One module per format."""
