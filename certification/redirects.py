"""Where a request may send the browser next: only a path of this site, read the way a browser reads it.

A browser drops tab, CR and LF anywhere in a URL and treats "\\" like "/", so "/\\t/evil.example" and
"/\\\\evil.example" are both "//evil.example" to it: another site. A target is therefore refused when it holds
any control character (which also keeps a line break out of the Location header), its backslashes are read as
slashes, and only a path that starts with exactly one "/" passes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from certification.validation import has_control_characters

MAX_TARGET = 2048


def same_origin_path(target: object, default: str) -> str:
    """`target` if it is a path of this site (with its query and fragment), else `default`."""
    if not isinstance(target, str) or not target or len(target) > MAX_TARGET:
        return default
    if has_control_characters(target, single_line=True):
        return default
    path = target.replace("\\", "/")
    if not path.startswith("/") or path.startswith("//"):
        return default
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return default
    return path


def same_origin_referrer(referrer: str | None, host: str, default: str) -> str:
    """The referring page as a path of this site when it came from `host` over http(s), else `default`."""
    parts = urlsplit(referrer or "")
    if parts.scheme not in ("http", "https") or parts.netloc != host:
        return default
    local = parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    return same_origin_path(local, default)
