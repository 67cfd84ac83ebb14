"""Pipedrive's v1 and v2 routes over one set of records (crm_apis.md §2.6).

v1 answers under both `/v1/...` and `/api/v1/...`, v2 only under `/api/v2/...` (§2.1).
"""

import base64
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request

from dealflow_emulators.pipedrive import records as shape
from dealflow_emulators.pipedrive.records import PipedriveData, Table
from dealflow_emulators.pipedrive.writes import (
    PipedriveError,
    create_deal_field,
    save_activity,
    save_deal,
    save_organization,
    save_person,
)

MAX_LIMIT = 500
NOUNS = {
    "persons": "Person",
    "organizations": "Organization",
    "deals": "Deal",
    "activities": "Activity",
}
Body = dict[str, Any]


async def json_body(request: Request) -> Body:
    try:
        body = await request.json()
    except ValueError:
        raise PipedriveError(400, "Invalid JSON in request body") from None
    if not isinstance(body, dict):
        raise PipedriveError(400, "Request body must be a JSON object")
    return body


def ok(data: Any, additional_data: Any = None, related: Any = None) -> Body:
    answer: Body = {"success": True, "data": data}
    if additional_data is not None:
        answer["additional_data"] = additional_data
    if related is not None:
        answer["related_objects"] = related
    return answer


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise PipedriveError(400, f"Invalid 'limit': must be between 1 and {MAX_LIMIT}")
    return int(raw)


def v1_page(request: Request, items: list[Any]) -> tuple[list[Any], Body]:
    """`start`/`limit` in, `additional_data.pagination` out (§2.5)."""
    raw = request.query_params.get("start", "0")
    if not raw.isdigit():
        raise PipedriveError(400, "Invalid 'start': must be a non-negative integer")
    start, limit = int(raw), _limit(request)
    page = items[start : start + limit]
    more = start + limit < len(items)
    pagination: Body = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return page, {"pagination": pagination}


def v2_page(request: Request, items: list[Any]) -> tuple[list[Any], Body]:
    """`cursor`/`limit` in, `additional_data.next_cursor` (null at the end) out (§2.5)."""
    limit = _limit(request)
    cursor = request.query_params.get("cursor")
    start = 0
    if cursor:
        try:
            start = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("o:"))
        except ValueError:
            raise PipedriveError(400, "Invalid 'cursor'") from None
    page = items[start : start + limit]
    more = start + limit < len(items)
    next_cursor = base64.urlsafe_b64encode(f"o:{start + limit}".encode()).decode() if more else None
    return page, {"next_cursor": next_cursor}


def _id(raw: str) -> int:
    if not raw.isdigit():
        raise PipedriveError(400, "Invalid id")
    return int(raw)


def _found(table: Table, raw: str, what: str) -> Body:
    record = table.get(_id(raw))
    if record is None or record.get("is_deleted") or record.get("status") == "deleted":
        raise PipedriveError(404, f"{what} not found")
    return record


def _live(table: Table) -> list[Body]:
    return [r for r in table.values() if not r.get("is_deleted") and r.get("status") != "deleted"]


def search_persons(data: PipedriveData, request: Request) -> list[Body]:
    """Persons whose email (or name) matches `term`; exact matches are case-insensitive (§2.6 a)."""
    term = request.query_params.get("term", "").strip()
    exact = request.query_params.get("exact_match", "false").lower() in ("true", "1")
    if len(term) < (1 if exact else 2):
        raise PipedriveError(400, "Search term must be at least 2 characters long")
    fields = request.query_params.get("fields", "custom_fields,email,name,notes,phone").split(",")
    org_filter = request.query_params.get("organization_id")
    needle = term.casefold()
    hits = []
    for person in _live(data.persons):
        if org_filter and str(person["org_id"]) != org_filter:
            continue
        values = []
        if "email" in fields:
            values += [e["value"] for e in person["emails"]]
        if "name" in fields:
            values.append(person["name"])
        if "phone" in fields:
            values += [p["value"] for p in person["phones"]]
        folded = [v.casefold() for v in values]
        if any(v == needle for v in folded) or (not exact and any(needle in v for v in folded)):
            score = 1.0 if needle in folded else 0.5
            hits.append({"result_score": score, "item": shape.search_item(data, person)})
    return hits


def search_organizations(data: PipedriveData, request: Request) -> list[Body]:
    """Organizations whose name matches `term` (the one field held that search covers)."""
    term = request.query_params.get("term", "").strip()
    exact = request.query_params.get("exact_match", "false").lower() in ("true", "1")
    if len(term) < (1 if exact else 2):
        raise PipedriveError(400, "Search term must be at least 2 characters long")
    fields = request.query_params.get("fields", "address,custom_fields,notes,name").split(",")
    needle = term.casefold()
    hits = []
    for org in _live(data.organizations):
        values = [org["name"]] if "name" in fields else []
        if "address" in fields and org["address"]:
            values.append(org["address"])
        folded = [v.casefold() for v in values]
        if needle in folded or (not exact and any(needle in v for v in folded)):
            score = 1.0 if needle in folded else 0.5
            hits.append({"result_score": score, "item": shape.search_organization_item(org)})
    return hits


def build_routers(data: PipedriveData, authorize: Callable[..., None]) -> list[APIRouter]:
    guard = [Depends(authorize)]
    v1 = APIRouter(dependencies=guard)
    v2 = APIRouter(prefix="/api/v2", dependencies=guard)
    _v1_routes(v1, data)
    _v2_routes(v2, data)
    legacy = APIRouter(prefix="/v1")
    legacy.include_router(v1)
    current = APIRouter(prefix="/api/v1")
    current.include_router(v1)
    return [legacy, current, v2]


def _v1_routes(r: APIRouter, data: PipedriveData) -> None:
    def person1(p: Body) -> Body:
        return shape.v1_person(data, p)

    def deal1(d: Body) -> Body:
        return shape.v1_deal(data, d)

    def org1(o: Body) -> Body:
        return shape.v1_organization(data, o)

    def related(d: Body) -> Body:
        users = {str(u): shape.v1_user_ref(data, u) for u in {d.get("owner_id")} if u}
        answer: Body = {"user": users}
        if d.get("person_id"):
            answer["person"] = {str(d["person_id"]): person1(data.persons[d["person_id"]])}
        if d.get("org_id"):
            answer["organization"] = {str(d["org_id"]): org1(data.organizations[d["org_id"]])}
        return answer

    @r.get("/users")
    async def users(request: Request) -> Body:
        return ok(data.users.values())

    @r.get("/users/me")
    async def me(request: Request) -> Body:
        user = data.users.values()[0]
        return ok(
            {
                **user,
                "company_id": 7001,
                "company_name": "Emulated Co",
                "company_domain": "emulated",
                "company_country": "DE",
            }
        )

    @r.get("/users/find")
    async def find_users(request: Request) -> Body:
        term = request.query_params.get("term", "").casefold()
        by_email = request.query_params.get("search_by_email") in ("1", "true")
        key = "email" if by_email else "name"
        found = [u for u in data.users.values() if term and term in u[key].casefold()]
        return ok(found or None)

    @r.get("/users/{user_id}")
    async def user(user_id: str) -> Body:
        return ok(_found(data.users, user_id, "User"))

    @r.get("/activityTypes")
    async def activity_types() -> Body:
        return ok(
            [
                {
                    "id": n,
                    "name": key.capitalize(),
                    "key_string": key,
                    "icon_key": key,
                    "active_flag": True,
                    "is_custom_flag": False,
                    "order_nr": n,
                }
                for n, key in enumerate(shape.ACTIVITY_TYPES, start=1)
            ]
        )

    @r.get("/pipelines")
    async def pipelines() -> Body:
        return ok([shape.v1_pipeline(p) for p in data.pipelines.values()])

    @r.get("/pipelines/{pipeline_id}")
    async def pipeline(pipeline_id: str) -> Body:
        return ok(shape.v1_pipeline(_found(data.pipelines, pipeline_id, "Pipeline")))

    @r.get("/stages")
    async def stages(request: Request) -> Body:
        wanted = request.query_params.get("pipeline_id")
        found = [
            s for s in data.stages.values() if wanted is None or str(s["pipeline_id"]) == wanted
        ]
        return ok([shape.v1_stage(data, s) for s in found])

    @r.get("/stages/{stage_id}")
    async def stage(stage_id: str) -> Body:
        return ok(shape.v1_stage(data, _found(data.stages, stage_id, "Stage")))

    @r.get("/persons/search")
    async def person_search(request: Request) -> Body:
        items, more = v1_page(request, search_persons(data, request))
        return ok({"items": items}, more)

    @r.get("/organizations/search")
    async def organization_search(request: Request) -> Body:
        items, more = v1_page(request, search_organizations(data, request))
        return ok({"items": items}, more)

    for kind, table, to_v1, save in (
        ("persons", data.persons, person1, save_person),
        ("organizations", data.organizations, org1, save_organization),
        ("deals", data.deals, deal1, save_deal),
        ("activities", data.activities, shape.v1_activity, save_activity),
    ):
        _v1_crud(r, data, kind, table, to_v1, save, related if kind == "deals" else None)


def _v1_crud(
    r: APIRouter,
    data: PipedriveData,
    kind: str,
    table: Table,
    to_v1: Callable[[Body], Body],
    save: Callable[..., Body],
    related: Callable[[Body], Body] | None,
) -> None:
    what = NOUNS[kind]

    def answer(record: Body) -> Body:
        return ok(to_v1(record), related=related(record) if related else None)

    async def list_all(request: Request) -> Body:
        found = _live(table)
        for key in ("person_id", "org_id", "deal_id", "stage_id", "user_id", "pipeline_id"):
            wanted = request.query_params.get(key)
            field = "owner_id" if key == "user_id" else key
            if wanted:
                found = [x for x in found if str(x.get(field)) == wanted]
        items, more = v1_page(request, [to_v1(x) for x in found])
        return ok(items or None, more)

    async def get_one(item_id: str) -> Body:
        return answer(_found(table, item_id, what))

    async def create(request: Request) -> Body:
        return answer(save(data, await json_body(request), False))

    async def update(item_id: str, request: Request) -> Body:
        current = _found(table, item_id, what)
        return answer(save(data, await json_body(request), False, current))

    async def delete(item_id: str) -> Body:
        record = _found(table, item_id, what)
        _delete(table, record)
        return ok({"id": record["id"]})

    r.add_api_route(f"/{kind}", list_all, methods=["GET"])
    r.add_api_route(f"/{kind}", create, methods=["POST"], status_code=201)
    r.add_api_route(f"/{kind}/{{item_id}}", get_one, methods=["GET"])
    r.add_api_route(f"/{kind}/{{item_id}}", update, methods=["PUT"])
    r.add_api_route(f"/{kind}/{{item_id}}", delete, methods=["DELETE"])


def _delete(table: Table, record: Body) -> None:
    """Deals and persons are flagged (they stay readable in the state); activities go."""
    if "status" in record:
        table[record["id"]] = {**record, "status": "deleted", "update_time": shape.now()}
    elif "is_deleted" in record:
        table[record["id"]] = {**record, "is_deleted": True, "update_time": shape.now()}
    else:
        table.pop(record["id"])


def _v2_routes(r: APIRouter, data: PipedriveData) -> None:
    @r.get("/pipelines")
    async def pipelines(request: Request) -> Body:
        items, more = v2_page(request, [shape.v2_pipeline(p) for p in data.pipelines.values()])
        return ok(items, more)

    @r.get("/pipelines/{pipeline_id}")
    async def pipeline(pipeline_id: str) -> Body:
        return ok(shape.v2_pipeline(_found(data.pipelines, pipeline_id, "Pipeline")))

    @r.get("/stages")
    async def stages(request: Request) -> Body:
        wanted = request.query_params.get("pipeline_id")
        found = [
            s for s in data.stages.values() if wanted is None or str(s["pipeline_id"]) == wanted
        ]
        items, more = v2_page(request, [shape.v2_stage(s) for s in found])
        return ok(items, more)

    @r.get("/stages/{stage_id}")
    async def stage(stage_id: str) -> Body:
        return ok(shape.v2_stage(_found(data.stages, stage_id, "Stage")))

    @r.get("/persons/search")
    async def person_search(request: Request) -> Body:
        items, more = v2_page(request, search_persons(data, request))
        return ok({"items": items}, more)

    @r.get("/organizations/search")
    async def organization_search(request: Request) -> Body:
        items, more = v2_page(request, search_organizations(data, request))
        return ok({"items": items}, more)

    @r.get("/dealFields")
    async def deal_fields(request: Request) -> Body:
        fields = [shape.v2_deal_field(f) for f in data.deal_fields.values()]
        items, more = v2_page(request, fields)
        return ok(items, more)

    @r.post("/dealFields")
    async def add_deal_field(request: Request) -> Body:
        return ok(shape.v2_deal_field(create_deal_field(data, await json_body(request))))

    for kind, table, to_v2, save in (
        ("persons", data.persons, shape.v2_person, save_person),
        ("organizations", data.organizations, shape.v2_organization, save_organization),
        ("deals", data.deals, shape.v2_deal, save_deal),
        ("activities", data.activities, shape.v2_activity, save_activity),
    ):
        _v2_crud(r, data, kind, table, to_v2, save)


def _v2_crud(
    r: APIRouter,
    data: PipedriveData,
    kind: str,
    table: Table,
    to_v2: Callable[[Body], Body],
    save: Callable[..., Body],
) -> None:
    what = NOUNS[kind]

    async def list_all(request: Request) -> Body:
        found = _live(table)
        for key in ("person_id", "org_id", "deal_id", "stage_id", "owner_id", "pipeline_id"):
            wanted = request.query_params.get(key)
            if wanted:
                found = [x for x in found if str(x.get(key)) == wanted]
        items, more = v2_page(request, [to_v2(x) for x in found])
        return ok(items, more)

    async def get_one(item_id: str) -> Body:
        return ok(to_v2(_found(table, item_id, what)))

    async def create(request: Request) -> Body:
        return ok(to_v2(save(data, await json_body(request), True)))

    async def update(item_id: str, request: Request) -> Body:
        current = _found(table, item_id, what)
        return ok(to_v2(save(data, await json_body(request), True, current)))

    async def delete(item_id: str) -> Body:
        record = _found(table, item_id, what)
        _delete(table, record)
        return ok({"id": record["id"]})

    r.add_api_route(f"/{kind}", list_all, methods=["GET"])
    r.add_api_route(f"/{kind}", create, methods=["POST"])
    r.add_api_route(f"/{kind}/{{item_id}}", get_one, methods=["GET"])
    r.add_api_route(f"/{kind}/{{item_id}}", update, methods=["PATCH"])
    r.add_api_route(f"/{kind}/{{item_id}}", delete, methods=["DELETE"])
