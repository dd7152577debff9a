"""Cases open and overdue now, on the real store: counters moved with the case writes, read by
the reports, and set right again by the recount after they drifted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx

from services.reporting.adapters.read_models import ReadModels
from services.reporting.handlers.projections import apply_case_events
from shared.dispatch import Event
from shared.events.case_events import CaseAccepted, CaseAssigned, CaseClosed
from shared.events.envelope import Envelope, EventData

AT = datetime(2025, 5, 6, 10, 0, tzinfo=UTC)
PERIOD = {"since": "2025-05-01", "until": "2025-05-31"}


def story() -> list[Event[EventData]]:
    """Five cases of xijie (two of 0412, three of 0413) and two of jianchi; two closed."""
    made: list[Event[EventData]] = []
    holders = [("xijie", "0412")] * 2 + [("xijie", "0413")] * 3 + [("jianchi", "0501")] * 2
    for i, (station, rep) in enumerate(holders):
        case = f"now-{i}"
        steps: list[EventData] = [
            CaseAssigned(
                case_id=case,
                category="parking",
                station_id=station,
                station_name=station,
                representative_code=rep,
                reason="qr",
                assigned_at=AT,
            ),
            CaseAccepted(
                case_id=case,
                station_id=station,
                at=AT,
                actor_role="representative",
                representative_code=rep,
            ),
        ]
        if i in (0, 5):
            steps.append(CaseClosed(case_id=case, station_id=station, at=AT, actor_role="staff"))
        made += [
            Event.of(Envelope.wrap(e, source="test", subject=case, correlation_id="c"), e)
            for e in steps
        ]
    return made


async def open_figures(client: httpx.AsyncClient) -> tuple[int, dict[str, int]]:
    city = (await client.get("/v1/reports/city", params=PERIOD)).json()
    stations = (await client.get("/v1/reports/stations", params=PERIOD)).json()["stations"]
    return city["city"]["open_now"], {s["station_id"]: s["open_now"] for s in stations}


async def test_open_now_moves_with_the_cases_and_the_recount_mends_a_drift(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    client, read_models = reporting
    batch = story()
    await apply_case_events(batch, read_models=read_models)
    await apply_case_events(batch, read_models=read_models)  # redelivered: nothing moves

    assert await open_figures(client) == (5, {"xijie": 4, "jianchi": 1})
    by_rep = await read_models.now_by("representative", station_id="xijie")
    assert {k: v.open_now for k, v in by_rep.items()} == {"0412": 1, "0413": 3}
    assert await read_models.recount_now() == 0  # nothing to mend

    # A batch that stopped between the case write and the counters' leaves them off.
    now = read_models._db["now"]  # the drift, made by hand
    await now.update_one({"_id": "city||"}, {"$inc": {"open": 4}})
    await now.update_one({"_id": "station|xijie|xijie"}, {"$set": {"open": 0}})
    await now.insert_one(
        {
            "_id": f"point|xijie|{uuid.uuid4().hex}",
            "dimension": "point",
            "station_id": "xijie",
            "key": "ghost",
            "open": 2,
            "overdue": 0,
        }
    )
    assert await open_figures(client) == (9, {"xijie": 0, "jianchi": 1})

    assert await read_models.recount_now() == 3
    assert await open_figures(client) == (5, {"xijie": 4, "jianchi": 1})
    assert await read_models.now_by("point") == {}
