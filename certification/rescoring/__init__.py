"""Bulk re-scoring of every application of a standard version, with progress (design §2, §8)."""
