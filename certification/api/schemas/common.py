"""What every request and answer shares: the body and answer bases, list queries and their page envelope."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, create_model

MAX_PER_PAGE = 100


class Body(BaseModel):
    """A JSON request body: parsed strictly (no "5" for 5), unknown members ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


class Out(BaseModel):
    """A JSON answer."""

    model_config = ConfigDict(from_attributes=True)


def _no_default(schema: dict) -> None:
    schema.pop("default", None)  # "no filter" is the absence of the parameter, not a null value


# Filters default to None (no filter) without saying so in the document: a query parameter is never null.
def Filter(**kwargs):  # noqa: N802 - reads like pydantic's Field
    """An optional query filter: absent means no filter."""
    return Field(None, json_schema_extra=_no_default, **kwargs)


class PageQuery(BaseModel):
    page: int = Field(1, ge=1, le=1_000_000, description="1-based page number")
    per_page: int = Field(25, ge=1, le=MAX_PER_PAGE, description=f"items per page, at most {MAX_PER_PAGE}")


def page(item: type[BaseModel]) -> type[BaseModel]:
    """The answer of a list: `{items, page, per_page, total}`, named after its item (`ApplicationSummaryPage`)."""
    return create_model(
        f"{item.__name__}Page",
        __base__=Out,
        items=(list[item], ...),
        page=(int, ...),
        per_page=(int, ...),
        total=(int, Field(description="items over all pages")),
    )


class OpenApiDocument(BaseModel):
    """This document."""

    model_config = ConfigDict(extra="allow")
    openapi: str
