"""Contract shared by every newswire service: topics, ids, events, settings, DLQ, metrics."""
