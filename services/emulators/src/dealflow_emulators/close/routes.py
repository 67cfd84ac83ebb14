"""Close's routes under `/api/v1/`, each with and without its trailing slash (§3.1, §3.5)."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request

from dealflow_emulators.close import activities as acts
from dealflow_emulators.close import writes
from dealflow_emulators.close.records import (
    CloseError,
    add_pipeline,
    add_status,
    lead_view,
    new_id,
    opportunity_view,
    pipeline_view,
)
from dealflow_emulators.close.search import search
from dealflow_emulators.common import Record, Store

MAX_LIMIT = 100
Handler = Callable[..., Any]


async def json_body(request: Request) -> Record:
    try:
        body = await request.json()
    except ValueError:
        raise CloseError(400, errors=["Invalid JSON."]) from None
    if not isinstance(body, dict):
        raise CloseError(400, errors=["The body must be a JSON object."])
    return body


def listing(request: Request, items: list[Record], total: bool = False) -> Record:
    """`_skip`/`_limit` (at most 100, else 400) and `_fields` → `{data, has_more}` (§3.4)."""
    params = request.query_params
    try:
        skip, limit = int(params.get("_skip", 0)), int(params.get("_limit", MAX_LIMIT))
    except ValueError:
        raise CloseError(400, errors=["_skip and _limit must be integers."]) from None
    if skip < 0 or not 0 < limit <= MAX_LIMIT:
        raise CloseError(400, errors=[f"_limit must be between 1 and {MAX_LIMIT}."])
    page = [select(request, item) for item in items[skip : skip + limit]]
    answer: Record = {"data": page, "has_more": skip + limit < len(items)}
    if total:
        answer["total_results"] = len(items)
    return answer


def select(request: Request, record: Record) -> Record:
    fields = request.query_params.get("_fields")
    if not fields:
        return record
    wanted = {f.strip() for f in fields.split(",")}
    return {k: v for k, v in record.items() if k in wanted}


def _filtered(request: Request, items: list[Record], keys: tuple[str, ...]) -> list[Record]:
    for key in keys:
        wanted = request.query_params.get(key)
        if wanted is not None:
            items = [i for i in items if str(i.get(key)) == wanted]
    return items


def _found(store: Store, kind: str, item_id: str) -> Record:
    record = store[kind].get(item_id)
    if record is None:
        raise CloseError(404, "Empty query: matching object does not exist.")
    return record


class Routes:
    """Route table of one emulator; `user_of(request)` is the caller's Close user id."""

    def __init__(self, store: Store, authorize: Handler, user_of: Callable[[Request], str]):
        self.store = store
        self.user_of = user_of
        self.router = APIRouter(prefix="/api/v1", dependencies=[Depends(authorize)])

    def add(self, path: str, handler: Handler, method: str, status: int = 200) -> None:
        for variant in (path, path.rstrip("/")):
            self.router.add_api_route(variant, handler, methods=[method], status_code=status)

    def build(self) -> APIRouter:
        self._account()
        self._leads_and_contacts()
        self._opportunities()
        self._activities()
        store = self.store

        async def data_search(request: Request) -> Record:
            def view(kind: str, record: Record) -> Record:
                return lead_view(store, record) if kind == "lead" else record

            return search(store, await json_body(request), view)

        self.add("/data/search/", data_search, "POST")
        return self.router

    def _account(self) -> None:
        store = self.store

        async def me(request: Request) -> Record:
            user = _found(store, "users", self.user_of(request))
            orgs = [
                {
                    **o,
                    "pipelines": [pipeline_view(store, p) for p in store["pipelines"]],
                    "lead_statuses": store["lead_statuses"].values(),
                }
                for o in store["organizations"]
            ]
            return {**user, "organizations": orgs}

        async def users(request: Request) -> Record:
            return listing(request, store["users"].values())

        async def user(user_id: str, request: Request) -> Record:
            return select(request, _found(store, "users", user_id))

        async def organization(org_id: str, request: Request) -> Record:
            org = _found(store, "organizations", org_id)
            full = {
                **org,
                "pipelines": [pipeline_view(store, p) for p in store["pipelines"]],
                "lead_statuses": store["lead_statuses"].values(),
            }
            return select(request, full)

        async def pipelines(request: Request) -> Record:
            return listing(request, [pipeline_view(store, p) for p in store["pipelines"]])

        async def pipeline(pipeline_id: str, request: Request) -> Record:
            return pipeline_view(store, _found(store, "pipelines", pipeline_id))

        async def create_pipeline(request: Request) -> Record:
            body = await json_body(request)
            if not body.get("name"):
                raise CloseError(400, field_errors={"name": "This field is required."})
            return pipeline_view(store, add_pipeline(store, body["name"], ()))

        async def opportunity_statuses(request: Request) -> Record:
            items = _filtered(request, store["opportunity_statuses"].values(), ("pipeline_id",))
            return listing(request, items)

        async def create_opportunity_status(request: Request) -> Record:
            body = await json_body(request)
            pipeline_id = body.get("pipeline_id") or store["pipelines"].values()[0]["id"]
            if not body.get("label"):
                raise CloseError(400, field_errors={"label": "This field is required."})
            return add_status(store, body["label"], body.get("type", "active"), pipeline_id)

        async def lead_statuses(request: Request) -> Record:
            return listing(request, store["lead_statuses"].values())

        async def create_lead_status(request: Request) -> Record:
            body = await json_body(request)
            if not body.get("label"):
                raise CloseError(400, field_errors={"label": "This field is required."})
            status_id = new_id("stat")
            return store["lead_statuses"].put(status_id, {"id": status_id, "label": body["label"]})

        self.add("/me/", me, "GET")
        self.add("/user/", users, "GET")
        self.add("/user/{user_id}/", user, "GET")
        self.add("/organization/{org_id}/", organization, "GET")
        self.add("/pipeline/", pipelines, "GET")
        self.add("/pipeline/", create_pipeline, "POST", 201)  # the one create that answers 201
        self.add("/pipeline/{pipeline_id}/", pipeline, "GET")
        self.add("/status/opportunity/", opportunity_statuses, "GET")
        self.add("/status/opportunity/", create_opportunity_status, "POST")
        self.add("/status/lead/", lead_statuses, "GET")
        self.add("/status/lead/", create_lead_status, "POST")

    def _leads_and_contacts(self) -> None:
        store = self.store

        async def leads(request: Request) -> Record:
            items = [lead_view(store, lead) for lead in store["leads"]]
            return listing(request, items, total=True)

        async def create_lead(request: Request) -> Record:
            lead = writes.create_lead(store, self.user_of(request), await json_body(request))
            return lead_view(store, lead)

        async def lead(lead_id: str, request: Request) -> Record:
            return select(request, lead_view(store, _found(store, "leads", lead_id)))

        async def update_lead(lead_id: str, request: Request) -> Record:
            current = _found(store, "leads", lead_id)
            updated = writes.update_lead(
                store, self.user_of(request), current, await json_body(request)
            )
            return lead_view(store, updated)

        async def delete_lead(lead_id: str) -> Record:
            _found(store, "leads", lead_id)
            for kind in ("contacts", "opportunities", "custom_activities", "notes", "meetings"):
                for record in store[kind]:
                    if record["lead_id"] == lead_id:
                        store[kind].remove(record["id"])
            store["leads"].remove(lead_id)
            return {}

        async def contacts(request: Request) -> Record:
            return listing(request, _filtered(request, store["contacts"].values(), ("lead_id",)))

        async def create_contact(request: Request) -> Record:
            return writes.save_contact(store, self.user_of(request), await json_body(request))

        async def contact(contact_id: str, request: Request) -> Record:
            return select(request, _found(store, "contacts", contact_id))

        async def update_contact(contact_id: str, request: Request) -> Record:
            current = _found(store, "contacts", contact_id)
            body = await json_body(request)
            return writes.save_contact(store, self.user_of(request), body, current)

        async def delete_contact(contact_id: str) -> Record:
            _found(store, "contacts", contact_id)
            store["contacts"].remove(contact_id)
            return {}

        self.add("/lead/", leads, "GET")
        self.add("/lead/", create_lead, "POST")
        self.add("/lead/{lead_id}/", lead, "GET")
        self.add("/lead/{lead_id}/", update_lead, "PUT")
        self.add("/lead/{lead_id}/", delete_lead, "DELETE")
        self.add("/contact/", contacts, "GET")
        self.add("/contact/", create_contact, "POST")
        self.add("/contact/{contact_id}/", contact, "GET")
        self.add("/contact/{contact_id}/", update_contact, "PUT")
        self.add("/contact/{contact_id}/", delete_contact, "DELETE")

    def _opportunities(self) -> None:
        store = self.store

        async def opportunities(request: Request) -> Record:
            items = [opportunity_view(store, o) for o in store["opportunities"]]
            keys = ("lead_id", "status_id", "status_type", "user_id", "contact_id")
            return listing(request, _filtered(request, items, keys))

        async def create(request: Request) -> Record:
            body = await json_body(request)
            tz = request.headers.get("x-tz-offset")
            return opportunity_view(
                store, writes.save_opportunity(store, self.user_of(request), body, tz)
            )

        async def one(opp_id: str, request: Request) -> Record:
            return select(request, opportunity_view(store, _found(store, "opportunities", opp_id)))

        async def update(opp_id: str, request: Request) -> Record:
            current = _found(store, "opportunities", opp_id)
            body = await json_body(request)
            tz = request.headers.get("x-tz-offset")
            saved = writes.save_opportunity(store, self.user_of(request), body, tz, current)
            return opportunity_view(store, saved)

        async def delete(opp_id: str) -> Record:
            _found(store, "opportunities", opp_id)
            store["opportunities"].remove(opp_id)
            return {}

        self.add("/opportunity/", opportunities, "GET")
        self.add("/opportunity/", create, "POST")
        self.add("/opportunity/{opp_id}/", one, "GET")
        self.add("/opportunity/{opp_id}/", update, "PUT")
        self.add("/opportunity/{opp_id}/", delete, "DELETE")

    def _activities(self) -> None:
        store = self.store

        async def types(request: Request) -> Record:
            views = [acts.activity_type_view(store, t) for t in store["custom_activity_types"]]
            return listing(request, views)

        async def create_type(request: Request) -> Record:
            body = await json_body(request)
            created = acts.create_activity_type(store, self.user_of(request), body)
            return acts.activity_type_view(store, created)

        async def one_type(type_id: str) -> Record:
            return acts.activity_type_view(store, _found(store, "custom_activity_types", type_id))

        async def fields(request: Request) -> Record:
            items = _filtered(
                request, store["activity_custom_fields"].values(), ("custom_activity_type_id",)
            )
            return listing(request, items)

        async def create_field(request: Request) -> Record:
            body = await json_body(request)
            return acts.create_activity_field(store, self.user_of(request), body)

        async def one_field(field_id: str) -> Record:
            return _found(store, "activity_custom_fields", field_id)

        self.add("/custom_activity/", types, "GET")
        self.add("/custom_activity/", create_type, "POST")
        self.add("/custom_activity/{type_id}/", one_type, "GET")
        self.add("/custom_field/activity/", fields, "GET")
        self.add("/custom_field/activity/", create_field, "POST")
        self.add("/custom_field/activity/{field_id}/", one_field, "GET")
        self._activity_kind("custom", "custom_activities", acts.save_custom_activity)
        self._activity_kind("note", "notes", acts.save_note)
        self._meetings()

    def _activity_kind(self, path: str, kind: str, save: Handler) -> None:
        store = self.store

        async def listed(request: Request) -> Record:
            items = _filtered(request, store[kind].values(), ("lead_id", "contact_id", "user_id"))
            return listing(request, items)

        async def create(request: Request) -> Record:
            record: Record = save(store, self.user_of(request), await json_body(request))
            return record

        async def one(activity_id: str, request: Request) -> Record:
            return select(request, _found(store, kind, activity_id))

        async def update(activity_id: str, request: Request) -> Record:
            current = _found(store, kind, activity_id)
            record: Record = save(store, self.user_of(request), await json_body(request), current)
            return record

        async def delete(activity_id: str) -> Record:
            _found(store, kind, activity_id)
            store[kind].remove(activity_id)
            return {}

        self.add(f"/activity/{path}/", listed, "GET")
        self.add(f"/activity/{path}/", create, "POST")
        self.add(f"/activity/{path}/{{activity_id}}/", one, "GET")
        self.add(f"/activity/{path}/{{activity_id}}/", update, "PUT")
        self.add(f"/activity/{path}/{{activity_id}}/", delete, "DELETE")

    def _meetings(self) -> None:
        """List, read, update (note, outcome) and delete: no create (§3.5 h)."""
        store = self.store

        async def listed(request: Request) -> Record:
            items = _filtered(
                request, store["meetings"].values(), ("lead_id", "contact_id", "user_id")
            )
            return listing(request, items)

        async def one(activity_id: str) -> Record:
            return _found(store, "meetings", activity_id)

        async def update(activity_id: str, request: Request) -> Record:
            current = _found(store, "meetings", activity_id)
            return acts.update_meeting(
                store, self.user_of(request), current, await json_body(request)
            )

        async def delete(activity_id: str) -> Record:
            _found(store, "meetings", activity_id)
            store["meetings"].remove(activity_id)
            return {}

        self.add("/activity/meeting/", listed, "GET")
        self.add("/activity/meeting/{activity_id}/", one, "GET")
        self.add("/activity/meeting/{activity_id}/", update, "PUT")
        self.add("/activity/meeting/{activity_id}/", delete, "DELETE")
