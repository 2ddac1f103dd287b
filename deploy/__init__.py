"""Deployment helpers: local process launcher and the main-job runner."""
