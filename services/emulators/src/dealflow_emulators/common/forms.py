"""Form bodies (OAuth token endpoints) without python-multipart: urlencoded is all they use."""

from urllib.parse import parse_qsl

from fastapi import Request


async def read_form(request: Request) -> dict[str, str]:
    """The `application/x-www-form-urlencoded` fields; the last wins when one repeats."""
    body = await request.body()
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
