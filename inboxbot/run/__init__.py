"""The worker: prepare, decide, act and record, on a schedule."""
