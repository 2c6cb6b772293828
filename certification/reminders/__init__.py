"""The periodic reminder sweep of design §8: each reminder at most once per recipient, subject and period."""
