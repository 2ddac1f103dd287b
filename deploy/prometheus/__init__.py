"""Prometheus for the local stack: alert rules, scrape config and the process that runs them."""
