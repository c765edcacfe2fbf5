"""Repositories: one per aggregate, each returning core dataclasses."""
