"""Offline field scoring: assignments made available on the reviewer's device, changes synced later."""
