"""How an evidence file is answered for download: the same safe attachment for the web and the API."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

from certification.evidence.storage import storage


def attachment_headers(evidence) -> dict[str, str]:
    """RFC 6266 attachment with a UTF-8 filename*, no sniffing, no caching, sandboxed, same-origin only.

    A file may be two formats at once (a PDF that is also HTML, a PNG with an archive appended): no
    upload check can rule that out, so every file is served inert whatever else it is. It is downloaded,
    never shown in the page (attachment), under the one type its content was sniffed as and with that
    type's extension (nosniff), with no script, plugin or form if a browser renders it anyway (CSP
    sandbox), and no other site may embed it in its own pages with the viewer's session (CORP).
    """
    ascii_name = evidence.filename.encode("ascii", "ignore").decode() or "evidence"
    return {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(evidence.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'none'",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Content-Length": str(evidence.size),
    }


def file_response(evidence) -> Response:
    """The evidence file as a safe attachment (UI and API), streamed in chunks."""
    store, key = storage(), evidence.storage_key

    def stream():
        # Opened only once the body is read, and closed even if the client goes away half-way.
        with store.open(key) as handle:
            while chunk := handle.read(64 * 1024):
                yield chunk

    return Response(stream(), mimetype=evidence.content_type, headers=attachment_headers(evidence))
