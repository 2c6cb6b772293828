"""Evidence files uploaded for an application's indicators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints
from spectree.model_adapter.pydantic_adapter import BaseFile

from certification.api.schemas.common import Out, page
from certification.api.schemas.fields import text

# Comma-separated indicator codes, spaces and empty items allowed around them, at least one code.
INDICATOR_LIST = r"^[A-Za-z0-9._, -]*[A-Za-z0-9._-][A-Za-z0-9._, -]*$"


class EvidenceUpload(BaseModel):
    """multipart/form-data"""

    file: BaseFile
    indicators: Annotated[str, StringConstraints(max_length=500, pattern=INDICATOR_LIST)] = Field(
        description="comma-separated indicator codes, e.g. G1.1,G2.3"
    )
    description: text(2000) = ""


class EvidenceOut(Out):
    id: int
    filename: str
    size: int
    sha256: str
    content_type: str
    indicators: list[str]
    description: str
    uploaded_at: datetime
    uploaded_by_id: int


EvidencePage = page(EvidenceOut)
