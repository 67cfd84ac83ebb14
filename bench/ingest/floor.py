"""The cheapest possible answer to a webhook, for `run.py --floor`: read the body, answer 202.

No signature check, parsing, database or Kafka: what uvicorn (uvloop + httptools) and the load
generator alone cost on this machine. The gap between this and the gateway is the gateway's work.
"""

import uuid

from starlette.types import Receive, Scope, Send

HEADERS = [(b"content-type", b"application/json")]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if scope["path"] == "/ready":
        status, body = 200, b'{"status":"ready"}'
    else:
        status, body = 202, b'{"status":"accepted","event_id":"%s"}' % str(uuid.uuid4()).encode()
    headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
