"""Reusable response texts per category: city-wide, or a station's own."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import Document


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    title: str = Field(min_length=2, max_length=100)
    text: str = Field(min_length=5, max_length=5000)


class ResponseTemplate(TemplateIn):
    id: str
    station_id: str | None = Field(description="None: offered to every station.")
    created_by: str
    created_at: datetime
    active: bool = True


class TemplateRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._templates = db["response_templates"]

    async def ensure_indexes(self) -> None:
        await self._templates.create_index([("category", 1), ("station_id", 1)])

    async def add(
        self, template: TemplateIn, *, station_id: str | None, by: str, at: datetime
    ) -> ResponseTemplate:
        stored = ResponseTemplate(
            **template.model_dump(),
            id="t" + uuid.uuid4().hex[:12],
            station_id=station_id,
            created_by=by,
            created_at=at,
        )
        await self._templates.insert_one({"_id": stored.id, **stored.model_dump()})
        return stored

    async def usable(
        self, *, station_id: str | None, category: str | None
    ) -> list[ResponseTemplate]:
        """Templates a station may use: its own and the city-wide ones."""
        query: Document = {"active": True, "station_id": {"$in": [None, station_id]}}
        if category:
            query["category"] = category
        documents = await self._templates.find(query, {"_id": 0}).sort("title", 1).to_list()
        return [ResponseTemplate.model_validate(d) for d in documents]

    async def get(self, template_id: str) -> ResponseTemplate | None:
        document = await self._templates.find_one({"_id": template_id, "active": True}, {"_id": 0})
        return ResponseTemplate.model_validate(document) if document else None
