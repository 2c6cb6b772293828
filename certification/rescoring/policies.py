"""Who may see and start bulk re-scoring: facilitators and admins (others get 404 — no existence leak)."""

from __future__ import annotations

from certification.accounts.policies import is_staff


def may_rescore(user) -> bool:
    return bool(user and user.is_authenticated and is_staff(user))
