"""The pipeline board: a column per open stage (count, total, weighted value from the deals
service's pipeline summary), deal cards, and the moves a team makes on them."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.signin import SignIn
from console.web.auth import local_path
from console.web.context import context
from console.web.guard import CheckedMember, Member
from console.web.rendering import page
from dealflow_schemas.deals import CLOSED_STAGES, DealStage, LostReason

router = APIRouter(tags=["board"])

OPEN_STAGES = [s for s in DealStage if s not in CLOSED_STAGES]
CARDS_PER_COLUMN = 50


async def board_values(request: Request, signin: SignIn) -> dict[str, Any]:
    """The pipeline summary and the newest deals of every open stage, read concurrently."""
    api = context(request).api
    summary, *columns = await asyncio.gather(
        api.get(signin, "deals", "/v1/pipeline"),
        *(
            api.get(
                signin,
                "deals",
                "/v1/deals",
                status="active",
                stage=stage.value,
                limit=CARDS_PER_COLUMN,
            )
            for stage in OPEN_STAGES
        ),
    )
    by_stage = {s["stage"]: s for s in summary["stages"]}
    return {
        "summary": summary,
        "columns": [
            {"stage": stage.value, "figures": by_stage.get(stage.value), "deals": page["items"]}
            for stage, page in zip(OPEN_STAGES, columns, strict=True)
        ],
        "open_stages": [s.value for s in OPEN_STAGES],
        "lost_reasons": [r.value for r in LostReason],
    }


@router.get("/board", response_class=HTMLResponse, summary="The pipeline board")
async def board(request: Request, member: Member) -> Response:
    return page(request, "board.html", **await board_values(request, member))


@router.get("/board/columns", response_class=HTMLResponse, include_in_schema=False)
async def board_columns(request: Request, member: Member) -> Response:
    """The columns alone: the board polls this, so new bookings appear without a reload."""
    return page(request, "_board_columns.html", **await board_values(request, member))


async def _after_change(request: Request, member: SignIn) -> Response:
    if request.headers.get("hx-request") == "true":
        return page(request, "_board_columns.html", **await board_values(request, member))
    # A plain form says where it came from (the deal page), else it was the board's.
    back = (await request.form()).get("next")
    return RedirectResponse(local_path(back if isinstance(back, str) else None), status_code=303)


@router.post("/deals/{deal_id}/stage", summary="Move a deal to another open stage")
async def move(
    request: Request,
    member: CheckedMember,
    deal_id: str,
    stage: Annotated[DealStage, Form()],
) -> Response:
    await context(request).api.call(
        member, "POST", "deals", f"/v1/deals/{deal_id}/stage", json={"stage": stage.value}
    )
    return await _after_change(request, member)


@router.post("/deals/{deal_id}/won", summary="Close a deal as won")
async def won(
    request: Request,
    member: CheckedMember,
    deal_id: str,
    value: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    body = {"value": value.strip()} if value.strip() else {}
    await context(request).api.call(member, "POST", "deals", f"/v1/deals/{deal_id}/won", json=body)
    return await _after_change(request, member)


@router.post("/deals/{deal_id}/lost", summary="Close a deal as lost, with a reason")
async def lost(
    request: Request,
    member: CheckedMember,
    deal_id: str,
    reason: Annotated[LostReason, Form()],
    notes: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    body = {"reason": reason.value, "notes": notes.strip() or None}
    await context(request).api.call(member, "POST", "deals", f"/v1/deals/{deal_id}/lost", json=body)
    return await _after_change(request, member)


@router.post("/deals/{deal_id}/reopen", summary="Reopen a won, lost or cancelled deal")
async def reopen(request: Request, member: CheckedMember, deal_id: str) -> Response:
    await context(request).api.call(member, "POST", "deals", f"/v1/deals/{deal_id}/reopen", json={})
    return await _after_change(request, member)
