"""The periodic reminder sweep: each reminder at most once per recipient, subject and period."""
