"""``make bench``: resque-compat beside Ruby Resque and redis-benchmark, as ratios in one run."""
