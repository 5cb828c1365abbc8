"""Development tooling: the load generator behind `manage.py seed_load` and the benchmarks. No domain app imports it."""
