"""Commands around the worker: the demo, scoring, what-if replays, the starter department."""
