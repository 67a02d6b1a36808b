"""Processes: performing jobs, hooks, failure backends, workers, signals, pruning."""
