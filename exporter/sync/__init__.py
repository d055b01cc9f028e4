"""Scheduling: the poller, the shared schedule record, backoff, shards and reloads."""
