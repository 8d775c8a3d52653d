"""Driving the cabinet's pages over httpx as a browser would: sign in, read a form's CSRF
token, post forms."""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

from tests.conftest import SANDBOX_TOKEN

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
SESSION_COOKIE = "dbskit_cabinet_session"


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, token: str = SANDBOX_TOKEN) -> httpx.Response:
    """Fill in and send the sign-in form; the client keeps the cookies it is given."""
    form = await client.get("/cabinet/sign-in")
    assert form.status_code == 200
    return await client.post(
        "/cabinet/sign-in", data={"csrf_token": csrf_of(form.text), "token": token}
    )


async def post_form(
    client: httpx.AsyncClient, path: str, data: Mapping[str, str | list[str]], *, page: str
) -> httpx.Response:
    """Post a form of ``page`` (its CSRF token added), as the browser sends it."""
    return await client.post(path, data={**data, "csrf_token": csrf_of(page)})
