"""Scoring (design.md §4): the exact engine compiled per rules and the one pipeline that writes snapshots."""
