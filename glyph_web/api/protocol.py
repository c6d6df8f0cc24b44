"""The API's wire format: OpenAI's error shape and the checks of request values and content parts.

An ApiError is a refusal with an HTTP status and OpenAI's {"error": {"message", "type", "param", "code"}} body;
`number` checks a sampling value, `part_data` a file or image_url part (validated, not decoded). No torch, no
gradio.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

MB = 1024 * 1024


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.param = status, message, kind, code, param
        self.headers = headers or {}

    def response(self):
        from fastapi.responses import JSONResponse

        body = {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def parse_json(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return payload


def check_number(value, name: str, kind: type, low, high, default=None):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
        raise ApiError(400, f"'{name}' must be a{'n integer' if kind is int else ' number'}.", param=name)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise ApiError(400, f"'{name}' must be {bounds}.", param=name)
    return kind(value)


@dataclass
class Part:
    """A file or image_url part, validated but not decoded: `data` is its base64 text until part_bytes."""

    where: str
    name: str
    data: str
    picture: bool  # an image_url part, or a file part that says it is a picture (by type or name)

    @property
    def declared_bytes(self) -> int:
        """The size the base64 text decodes to, from its length alone."""
        padding = 2 if self.data.endswith("==") else 1 if self.data.endswith("=") else 0
        return max(0, len(self.data) * 3 // 4 - padding)


def part_data(part: dict, kind: str, where: str, number: int) -> Part:
    """A file or image_url part's name and base64 text, checked but not decoded."""
    from pathlib import PurePath

    from glyph_web.documents import EXTENSIONS

    if kind == "file":
        spec = part.get("file") or {}
        if not isinstance(spec, dict) or not spec.get("file_data"):
            raise ApiError(400, f"{where}: a file part needs file.file_data as a data: URL (file ids are not "
                                "supported).", param="messages")
        name, url = str(spec.get("filename") or f"file-{number}"), spec["file_data"]
    else:
        spec = part.get("image_url")
        url = spec.get("url") if isinstance(spec, dict) else spec
        name = f"image-{number}"
    if not isinstance(url, str) or not url.startswith("data:"):
        raise ApiError(400, f"{where}: only data: URLs are accepted (the server fetches nothing).",
                       param="messages")
    header, sep, data = url.partition(",")
    if not sep or ";base64" not in header:
        raise ApiError(400, f"{where}: the data: URL must be base64 (data:<type>;base64,<data>).", param="messages")
    media = header[5:].split(";")[0].strip().lower()
    picture = (kind == "image_url" or media.startswith("image/")
               or PurePath(name).suffix.lower() in EXTENSIONS["image"])
    return Part(where=where, name=name, data=data, picture=picture)


def part_bytes(part: Part) -> bytes:
    try:
        return base64.b64decode(part.data, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, f"{part.where}: the base64 data is damaged.", param="messages") from None
