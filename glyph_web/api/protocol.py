"""The API's wire format: the request as pydantic models with OpenAI's field names, OpenAI's error shape, and the
one mapping of every exception to such an error.

ChatRequest checks what a hostile client can send before anything is done with it: finite numbers in range
(Infinity, NaN, 1e999 are refused), integers that fit (seed below 2**63), at most MAX_MESSAGES messages, text
that is valid Unicode (no lone surrogates); unknown fields are ignored, as OpenAI does. `part_data` checks a file
or image_url part without decoding it. `api_error` turns any exception into an ApiError: a refusal keeps its
status, a GlyphError is said in the client's language (Accept-Language), a prompt that does not fit is a 400
`context_length_exceeded`, and anything unexpected is a logged 500 in the same shape. No torch, no gradio.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from glyph_web.errors import ContextTooLongError, EngineError, GlyphError, Message, TooLargeError, say

logger = logging.getLogger(__name__)

MB = 1024 * 1024
MAX_MESSAGES = 1000
SEED_MAX = 2**63 - 1


class ApiError(Exception):
    """A refusal in OpenAI's shape. `message` is a Message or GlyphError (said in the client's language when
    the response is made) or plain text."""

    def __init__(self, status: int, message: Message | GlyphError | str, kind: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None, headers: dict | None = None):
        super().__init__(str(message))
        self.status, self.message, self.kind, self.code, self.param = status, message, kind, code, param
        self.headers = headers or {}

    def body(self, lang: str = "en") -> dict:
        return {"error": {"message": say(self.message, lang), "type": self.kind, "param": self.param,
                          "code": self.code}}

    def response(self, lang: str = "en"):
        from fastapi.responses import JSONResponse

        return JSONResponse(self.body(lang), status_code=self.status, headers=self.headers)


def parse_json(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except RecursionError:
        raise ApiError(400, Message("api.body_too_deep")) from None
    except (ValueError, UnicodeDecodeError):  # not JSON, or an integer of thousands of digits
        raise ApiError(400, Message("api.body_not_json")) from None
    if not isinstance(payload, dict):
        raise ApiError(400, Message("api.body_not_object"))
    return payload


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    include_usage: bool = True


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[dict] | None = None  # the parts are checked one by one, with messages that say which


class ChatRequest(BaseModel):
    """POST /v1/chat/completions, the fields glyph-web reads (OpenAI's names)."""

    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2, allow_inf_nan=False)
    top_p: float | None = Field(None, gt=0, le=1, allow_inf_nan=False)
    repetition_penalty: float | None = Field(None, gt=0, le=10, allow_inf_nan=False)
    seed: int | None = Field(None, ge=0, le=SEED_MAX)
    n: int = Field(1, ge=1, le=1)

    @field_validator("messages", mode="after")
    @classmethod
    def _valid_text(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        for number, message in enumerate(messages):
            if not _encodable(message.content):
                raise ValueError(Message("api.lone_surrogate", number=number))
        return messages


def _encodable(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_encodable(k) and _encodable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(map(_encodable, value))
    return True


def chat_request(payload: dict) -> ChatRequest:
    """The payload as a ChatRequest; a 400 that names the first field in error."""
    try:
        return ChatRequest.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ApiError(400, _field_message(first, where), param=str(first["loc"][0]) if first["loc"] else None,
                       code="invalid_value") from None


# pydantic's error types said in our words (and so in Chinese too): type -> (key, the ctx value named `limit`)
_FIELD_ERRORS = {
    "finite_number": ("api.field_finite", None), "greater_than_equal": ("api.field_ge", "ge"),
    "greater_than": ("api.field_gt", "gt"), "less_than_equal": ("api.field_le", "le"),
    "less_than": ("api.field_lt", "lt"), "int_parsing": ("api.field_int", None),
    "int_from_float": ("api.field_int", None), "int_type": ("api.field_int", None),
    "float_parsing": ("api.field_number", None), "float_type": ("api.field_number", None),
    "bool_parsing": ("api.field_bool", None), "bool_type": ("api.field_bool", None),
    "string_type": ("api.field_string", None), "list_type": ("api.field_list", None),
    "missing": ("api.field_missing", None), "too_long": ("api.field_too_long", "max_length"),
    "too_short": ("api.field_too_short", "min_length"),
}


def _field_message(error: dict, where: str) -> Message:
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, ValueError) and cause.args and isinstance(cause.args[0], Message):
        return Message("api.field", where=where, detail=cause.args[0])
    if error["type"] == "literal_error":
        return Message("api.field_choice", where=where, choices=ctx.get("expected", ""))
    known = _FIELD_ERRORS.get(error["type"])
    if known is None:  # pydantic's own words (English)
        return Message("api.field", where=where, detail=str(error["msg"]).removeprefix("Value error, "))
    key, limit = known
    return Message(key, where=where, limit=ctx.get(limit)) if limit else Message(key, where=where)


def request_language(accept_language: str | None) -> str:
    """zh when the client's first language is Chinese, else en (the API's default)."""
    first = (accept_language or "").split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"


def api_error(exc: BaseException, lang: str = "en", where: str = "") -> ApiError:
    """The one mapping of an exception to an OpenAI-shaped error (its message said in `lang` by the response)."""
    if isinstance(exc, ApiError):
        return exc
    said = Message("api.at", where=where, message=exc) if where and isinstance(exc, GlyphError) else exc
    if isinstance(exc, TooLargeError):
        return ApiError(413, said, code="file_too_large")
    if isinstance(exc, ContextTooLongError):
        return ApiError(400, said, code="context_length_exceeded", param="messages")
    if isinstance(exc, EngineError):
        return ApiError(500, Message("api.answer_failed", reason=exc), "server_error")
    if isinstance(exc, GlyphError):
        return ApiError(400, said, code="bad_document")
    logger.error("an API request failed", exc_info=exc)
    return ApiError(500, Message("api.internal"), "server_error", "internal_error")


@dataclass
class Part:
    """A file or image_url part, validated but not decoded: `data` is its base64 text until part_bytes."""

    where: str
    name: str
    data: str
    picture: bool  # an image_url part, or a file part that says it is a picture (by type or name)
    pages: str | None = None  # file.pages: the pages to read ("1-40,52"; glyph-web's extension of the file part)

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
            raise ApiError(400, Message("api.file_needs_data", where=where), param="messages")
        name, url = str(spec.get("filename") or f"file-{number}"), spec["file_data"]
        pages = spec.get("pages")
        if pages is not None and not isinstance(pages, str):
            raise ApiError(400, Message("api.pages_not_text", where=where), param="messages")
    else:
        spec = part.get("image_url")
        url = spec.get("url") if isinstance(spec, dict) else spec
        name, pages = f"image-{number}", None
    if not isinstance(url, str) or not url.startswith("data:"):
        raise ApiError(400, Message("api.data_url_only", where=where), param="messages")
    header, sep, data = url.partition(",")
    if not sep or ";base64" not in header:
        raise ApiError(400, Message("api.data_url_base64", where=where), param="messages")
    media = header[5:].split(";")[0].strip().lower()
    picture = (kind == "image_url" or media.startswith("image/")
               or PurePath(name).suffix.lower() in EXTENSIONS["image"])
    return Part(where=where, name=name, data=data, picture=picture, pages=pages or None)


def part_bytes(part: Part) -> bytes:
    try:
        return base64.b64decode(part.data, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, Message("api.base64_damaged", where=part.where), param="messages") from None
