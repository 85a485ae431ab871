"""The home page: where the sections are."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from .render import render

__all__ = ["router"]

router = APIRouter()


@router.get("/")
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html")
