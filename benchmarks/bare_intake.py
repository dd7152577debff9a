"""The baseline of `make bench-scale`: the least an intake endpoint can do.

`POST /v1/cases` validates the same body as intake (`CaseCreate`; the same domain function
opens the case) and stores the case as one `insert_one` into the same store, with intake's two
unique indexes; it answers 202 with intake's receipt model. No directory check, no event, no
outbox, no rate limit, no middleware: FastAPI, pydantic and one store round trip.

    .venv/bin/python -m benchmarks.bare_intake --port 8101 --database bench_bare
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import uvicorn
from fastapi import FastAPI, status
from pymongo import AsyncMongoClient

from services.intake.domain.cases import CaseCreate, TimelineStep, open_case
from services.intake.entrypoints.schemas import CaseReceipt
from shared.mongo import MAX_IDLE_MS, Document


def create_app(*, mongo_url: str, database: str) -> FastAPI:
    # The same client options as the services (shared.mongo.create_client), so the two compare.
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        mongo_url, tz_aware=True, retryWrites=False, maxIdleTimeMS=MAX_IDLE_MS
    )
    cases = client[database]["cases"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await cases.create_index("tracking_code", unique=True)
        await cases.create_index("idempotency_key", unique=True)
        yield
        await client.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/cases", status_code=status.HTTP_202_ACCEPTED, response_model=CaseReceipt)
    async def post_case(command: CaseCreate) -> CaseReceipt:
        new = open_case(command, now=datetime.now(UTC))
        data = new.submitted
        await cases.insert_one(
            {
                "_id": new.case_id,
                "tracking_code": new.tracking_code,
                "idempotency_key": f"id:{new.case_id}",
                "status": "submitted",
                "category": data.category,
                "text": data.text,
                "channel": data.channel,
                "representative_code": data.representative_code,
                "liaison_point_id": data.liaison_point_id,
                "submitted_at": data.submitted_at,
                "updated_at": data.submitted_at,
                "timeline": [TimelineStep(status="submitted", at=data.submitted_at).model_dump()],
                "version": 1,
            }
        )
        return CaseReceipt(
            case_id=new.case_id,
            tracking_code=new.tracking_code,
            status="submitted",
            submitted_at=data.submitted_at,
            tracking_url=f"/v1/cases/{new.tracking_code}",
        )

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mongo-url", default="mongodb://127.0.0.1:27017/")
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    # The same server settings as the services (shared.serve).
    uvicorn.run(
        create_app(mongo_url=args.mongo_url, database=args.database),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
