"""Reading generated PDFs in tests: their text, as a person reading them would see it."""

from __future__ import annotations

import io

from pypdf import PdfReader


def text_of(pdf: bytes) -> str:
    """Every page's text, whitespace collapsed, so a phrase wrapped across lines still matches."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
