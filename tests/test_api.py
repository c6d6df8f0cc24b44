"""The OpenAI-compatible API, auth, limits, /metrics, and the "openai" backend against a second instance.

The contract is checked with the official `openai` client against a real server on loopback with the tiny
model; auth, 413 and 429 with a scripted backend through FastAPI's test client.
"""

from __future__ import annotations

import base64
import json
import io
import re
import threading
import time

import httpx
import pytest
from PIL import Image

from glyph_web.api.access import Admission, Credentials, RateLimiter, parse_auth
from glyph_web.errors import ConfigError
from glyph_web.settings import Settings

from fakes import (READY, FakeBackend, Server as _Server, ask_messages as _ask, data_url as _data_url,
                   file_part as _file_part, script)

@pytest.fixture(scope="module")
def tiny_server(tiny_dir, tmp_path_factory):
    server = _Server(Settings(model=str(tiny_dir), log_dir=str(tmp_path_factory.mktemp("logs")), rate_limit=0,
                              max_new_tokens=12))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(tiny_server):
    openai = pytest.importorskip("openai")
    return openai.OpenAI(base_url=tiny_server.url + "/v1", api_key="unused", max_retries=0)


# --- the contract, with the official client -------------------------------------------------------------------


def test_models_lists_the_served_model(client, tiny_dir):
    assert [m.id for m in client.models.list().data] == [str(tiny_dir)]


def test_a_file_part_is_rendered_and_answered_with_usage(client):
    response = client.chat.completions.create(model="glyph", messages=_ask(), max_tokens=6, temperature=0)
    assert response.id.startswith("chatcmpl-") and response.object == "chat.completion"
    assert isinstance(response.choices[0].message.content, str) and response.choices[0].message.content
    assert response.choices[0].finish_reason in ("stop", "length")
    usage = response.usage
    assert 0 < usage.completion_tokens <= 6
    assert usage.model_extra["visual_tokens"] > 0 and usage.prompt_tokens > usage.model_extra["visual_tokens"]
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_streaming_gives_the_same_answer_in_deltas_then_usage_then_done(client, tiny_server):
    plain = client.chat.completions.create(model="glyph", messages=_ask(), max_tokens=6, temperature=0)
    chunks = list(client.chat.completions.create(model="glyph", messages=_ask(), max_tokens=6, temperature=0,
                                                 stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content  # greedy: the same tokens
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == plain.usage.completion_tokens
    # the second time the pages come from the KV cache
    assert chunks[-1].usage.prompt_tokens_details.cached_tokens > 0
    # and the raw stream ends with [DONE]
    with httpx.stream("POST", tiny_server.url + "/v1/chat/completions", timeout=60,
                      json={"model": "glyph", "messages": _ask(), "max_tokens": 2, "stream": True}) as raw:
        lines = [line for line in raw.iter_lines() if line]
    assert lines[-1] == "data: [DONE]" and all(line.startswith("data: ") for line in lines)


def test_an_image_part_with_a_data_url_is_a_page(client):
    picture = io.BytesIO()
    Image.new("RGB", (400, 300), (20, 120, 200)).save(picture, "PNG")
    part = {"type": "image_url", "image_url": {"url": _data_url(picture.getvalue(), "image/png")}}
    response = client.chat.completions.create(model="glyph", messages=_ask("What colour?", part), max_tokens=3)
    assert response.usage.model_extra["visual_tokens"] > 0


def test_bad_requests_are_400_in_openai_shape(client, tiny_server):
    openai = pytest.importorskip("openai")
    remote = {"type": "image_url", "image_url": {"url": "http://example.com/a.png"}}
    cases = [
        (_ask("q", remote), "only data: URLs"),
        ([{"role": "user", "content": "no document here"}], "Attach a document"),
        (_ask("q", _file_part("\x00\x01\x02" * 100, "blob.txt")), "blob.txt"),
        ([*_ask(), {"role": "assistant", "content": "an answer"}], "last message must be a user message"),
    ]
    for messages, words in cases:
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(model="glyph", messages=messages, max_tokens=2)
        assert words in caught.value.body["message"]
        assert caught.value.status_code == 400
    raw = httpx.post(tiny_server.url + "/v1/chat/completions", content=b"{not json", timeout=10,
                     headers={"Content-Type": "application/json"})
    assert raw.status_code == 400 and raw.json()["error"]["message"] == "The request body is not valid JSON."
    assert set(raw.json()["error"]) == {"message", "type", "param", "code"}


def test_follow_up_questions_carry_the_conversation(client):
    first = client.chat.completions.create(model="glyph", messages=_ask(), max_tokens=4, temperature=0)
    messages = [*_ask(), {"role": "assistant", "content": first.choices[0].message.content},
                {"role": "user", "content": "And the boat?"}]
    second = client.chat.completions.create(model="glyph", messages=messages, max_tokens=4, temperature=0)
    assert second.usage.prompt_tokens > first.usage.prompt_tokens


def test_metrics_count_requests_tokens_pages_and_the_queue(client, tiny_server):
    client.chat.completions.create(model="glyph", messages=_ask(), max_tokens=2)
    text = httpx.get(tiny_server.url + "/metrics", timeout=10).text
    assert 'glyph_http_requests_total{route="/v1/chat/completions",status="200"}' in text
    values = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
              if line and not line.startswith("#") and " " in line}
    assert values["glyph_tokens_generated_total"] >= 2
    assert values["glyph_pages_rendered_total"] >= 1
    assert values['glyph_page_cache_lookups_total{result="hit"}'] >= 1
    assert values["glyph_time_to_first_token_seconds_count"] >= 1
    assert values["glyph_request_latency_seconds_count"] >= 1
    assert values["glyph_queue_waiting"] == 0 and values["glyph_model_ready"] == 1
    assert values["glyph_model_memory_bytes"] > 0


# --- the "openai" backend in front of a second instance ---------------------------------------------------------


def test_the_openai_backend_answers_through_a_second_instance(tiny_server, tiny_dir, tmp_path):
    openai = pytest.importorskip("openai")
    front = _Server(Settings(backend="openai", api_base=tiny_server.url + "/v1", api_model=str(tiny_dir),
                             log_dir=str(tmp_path / "logs"), rate_limit=0, max_new_tokens=6))
    try:
        assert front.backend.name == "openai" and front.backend.state().ready
        before = httpx.get(tiny_server.url + "/metrics").text
        front_client = openai.OpenAI(base_url=front.url + "/v1", api_key="unused", max_retries=0)
        chunks = list(front_client.chat.completions.create(model="glyph", messages=_ask(), max_tokens=4,
                                                           temperature=0, stream=True))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        usage = chunks[-1].usage
        assert usage.completion_tokens > 0 and usage.model_extra["visual_tokens"] > 0
        direct = openai.OpenAI(base_url=tiny_server.url + "/v1", api_key="unused").chat.completions.create(
            model="glyph", messages=_ask(), max_tokens=4, temperature=0)
        assert text == direct.choices[0].message.content  # the same pages and question reached the model
        after = httpx.get(tiny_server.url + "/metrics").text
        assert _count(after) > _count(before)
    finally:
        front.stop()


def _count(metrics: str) -> float:
    for line in metrics.splitlines():
        if line.startswith('glyph_http_requests_total{route="/v1/chat/completions",status="200"}'):
            return float(line.split()[-1])
    return 0.0


def test_follow_ups_send_the_same_bytes_first():
    from glyph_web.backends import AnswerRequest
    from glyph_web.backends.openai import OpenAIBackend

    backend = OpenAIBackend("http://127.0.0.1:9/v1", "m")
    pages = [Image.new("RGB", (50, 40), (255, 255, 255)), Image.new("RGB", (50, 40), (0, 0, 0))]
    first = backend.messages(AnswerRequest(pages=pages, pages_key="k", question="q1"))
    second = backend.messages(AnswerRequest(pages=[p.copy() for p in pages], pages_key="k", question="q2",
                                            history=(("q1", "a1"),)))
    assert second[0] == first[0] and [m["role"] for m in second] == ["user", "assistant", "user"]
    assert [p["type"] for p in first[0]["content"]] == ["image_url", "image_url", "text"]  # pages in order
    state = backend.check()  # nothing listens on port 9
    assert state.status == "loading" and "waiting for the model server" in state.detail


# --- auth, 413, 429 ---------------------------------------------------------------------------------------------


@pytest.fixture()
def guarded(tmp_path):
    from fastapi.testclient import TestClient

    from glyph_web.server import create_app

    backend = FakeBackend(script("Forty-one ships."))
    backend.model_state = READY
    settings = Settings(log_dir=str(tmp_path / "logs"), auth="ann:s3cret", api_key="key-123", rate_limit=3,
                        max_upload_mb=0.05)
    app, _ = create_app(settings, backend=backend, start=False)
    with TestClient(app) as test_client:
        yield test_client, backend


def _post(client, headers=None, **body):
    body = {"model": "glyph", "messages": _ask(), **body}
    return client.post("/v1/chat/completions", json=body, headers=headers or {})


def test_auth_is_required_for_the_api_and_the_page(guarded):
    client, _ = guarded
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " +
                                                            base64.b64encode(b"ann:nope").decode()}):
        response = _post(client, headers)
        assert response.status_code == 401 and response.json()["error"]["type"] == "authentication_error"
    assert client.get("/v1/models").status_code == 401
    bearer = _post(client, {"Authorization": "Bearer key-123"})
    assert bearer.status_code == 200 and bearer.json()["choices"][0]["message"]["content"] == "Forty-one ships."
    basic = client.get("/v1/models", headers={"Authorization": "Basic " + base64.b64encode(b"ann:s3cret").decode()})
    assert basic.status_code == 200
    # the page asks for a login; the probes stay open for the orchestrator
    assert client.get("/config").status_code == 401
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200


def test_a_request_over_the_upload_limit_is_413(guarded):
    client, _ = guarded
    big = _file_part("x " * 60_000)  # 120 kB: a file over the 0.05 MB limit, in a request under the body limit
    response = client.post("/v1/chat/completions", content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                           headers={"Authorization": "Bearer key-123", "Content-Type": "application/json"})
    assert response.status_code == 413 and "larger than" in response.json()["error"]["message"]
    one_file = _post(client, {"Authorization": "Bearer key-123"}, messages=_ask("q", big))
    assert one_file.status_code == 413 and "over the upload limit" in one_file.json()["error"]["message"]


def test_the_rate_limit_answers_429_with_retry_after(guarded):
    client, _ = guarded
    headers = {"Authorization": "Bearer key-123"}
    statuses = [client.get("/v1/models", headers=headers).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    refused = client.get("/v1/models", headers=headers)
    assert int(refused.headers["Retry-After"]) >= 1 and refused.json()["error"]["code"] == "rate_limit_exceeded"


def test_a_full_queue_answers_429_at_once(tmp_path):
    from fastapi.testclient import TestClient

    from glyph_web.server import create_app

    release = threading.Event()

    class Slow(FakeBackend):
        def answer(self, request, settings, stop):
            release.wait(20)
            return super().answer(request, settings, stop)

    backend = Slow(script("done"))
    backend.model_state = READY
    app, _ = create_app(Settings(log_dir=str(tmp_path), rate_limit=0, gpu_concurrency=1, queue_size=1),
                        backend=backend, start=False)
    with TestClient(app) as client:
        results = []
        threads = [threading.Thread(target=lambda: results.append(_post(client).status_code)) for _ in range(2)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while "glyph_queue_waiting 1.0" not in client.get("/metrics").text:  # one answering, one waiting
            assert time.monotonic() < deadline, "the second request never queued"
        started = time.perf_counter()
        third = _post(client)
        assert third.status_code == 429 and third.json()["error"]["code"] == "queue_full"
        assert time.perf_counter() - started < 2  # turned away at once, not after a wait
        release.set()
        for thread in threads:
            thread.join(20)
        assert sorted(results) == [200, 200]


def test_not_ready_is_503(tmp_path):
    from fastapi.testclient import TestClient

    from glyph_web.backends import ModelState
    from glyph_web.server import create_app

    backend = FakeBackend()
    backend.model_state = ModelState(status="loading", detail="loading the weights")
    app, _ = create_app(Settings(log_dir=str(tmp_path)), backend=backend, start=False)
    with TestClient(app) as client:
        response = _post(client)
    assert response.status_code == 503 and "loading the weights" in response.json()["error"]["message"]


# --- the pieces -------------------------------------------------------------------------------------------------


def test_auth_settings_parse_pairs_and_files(tmp_path):
    assert parse_auth("ann:pa:ss") == (("ann", "pa:ss"),)
    listing = tmp_path / "users"
    listing.write_text("# team\nann:one\n\nbob:two\n")
    assert parse_auth(str(listing)) == (("ann", "one"), ("bob", "two"))
    for bad in ("nocolon", ":nopass"):
        with pytest.raises(ConfigError) as caught:
            parse_auth(bad)
        secret = bad.partition(":")[2] or bad
        assert secret not in str(caught.value)  # the secret (or what may be one) is not echoed
    creds = Credentials.from_settings(str(listing), None)
    assert creds.check_user("bob", "two") and not creds.check_user("bob", "one")


def test_rate_limiter_refills_over_time():
    limiter = RateLimiter(per_minute=2)
    assert limiter.allow("a", now=0) == 0 and limiter.allow("a", now=0) == 0
    assert limiter.allow("a", now=0) == pytest.approx(30, abs=0.01)
    assert limiter.allow("b", now=0) == 0  # per client
    assert limiter.allow("a", now=30) == 0


def test_admission_turns_away_past_the_queue():
    admission = Admission(concurrency=1, queue_size=0)
    admission.enter()
    from glyph_web.api.access import Busy

    with pytest.raises(Busy):
        admission.enter()
    admission.leave()
    admission.enter()
    admission.leave()


def test_beyond_loopback_a_login_is_made_unless_it_is_turned_off_loudly():
    from glyph_web.api.access import Credentials
    from glyph_web.server import exposure_warning, with_login

    assert with_login(Settings(host="127.0.0.1")) == (Settings(host="127.0.0.1"), None)
    given = Settings(host="0.0.0.0", auth="ann:pw")
    assert with_login(given) == (given, None)
    made, login = with_login(Settings(host="0.0.0.0"))
    user, _, password = login.partition(":")
    assert user == "glyph" and len(password) >= 16 and made.auth == login
    assert with_login(Settings(host="0.0.0.0"))[1] != login  # random each start
    assert Credentials.from_settings(made.auth, None).check_user(user, password)
    assert exposure_warning(made) is None and exposure_warning(Settings(host="127.0.0.1", auth="off")) is None
    opened, none = with_login(Settings(host="0.0.0.0", auth="off"))
    assert none is None and not Credentials.from_settings(opened.auth, None).enabled
    warning = exposure_warning(opened)
    assert "WITHOUT A LOGIN" in warning and "GLYPH_AUTH" in warning
    assert "the page does not" in exposure_warning(Settings(host="0.0.0.0", auth="off", api_key="k"))


def test_the_local_backend_reports_its_kv_cache_geometry(tiny_server, tiny_dir):
    import json

    config = json.loads((tiny_dir / "config.json").read_text())
    text = config.get("text_config", config)
    geometry = tiny_server.backend.kv_geometry()
    assert geometry["layers"] == text["num_hidden_layers"]
    assert geometry["heads"] == text.get("num_key_value_heads", text["num_attention_heads"])
    assert geometry["bytes"] == 4  # fp32 on a CPU


def test_the_api_gives_the_model_the_identifiers_the_question_is_about(guarded):
    client, backend = guarded
    doc = "Fleet register.\nThe pilot boat Gull, serial SN-4F7K-9Q2X-118Z, is kept at berth 4.\n"
    response = _post(client, {"Authorization": "Bearer key-123"},
                     messages=_ask("What is the Gull's serial number?", _file_part(doc)))
    assert response.status_code == 200
    assert "SN-4F7K-9Q2X-118Z" in backend.requests[-1].question


# --- thinking: both field names, both ways ------------------------------------------------------------------


def _remote(field: str):
    """An OpenAIBackend whose server streams thinking in `field`, then a boxed answer; it records the request."""
    import json

    from glyph_web.backends.openai import OpenAIBackend

    asked = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(json.loads(request.content))
        chunks = [{"choices": [{"delta": {field: "Page 1 says so."}, "finish_reason": None}]},
                  {"choices": [{"delta": {"content": "<|begin_of_box|>41<|end_of_box|> ships"},
                                "finish_reason": "stop"}]},
                  {"choices": [], "usage": {"prompt_tokens": 90, "completion_tokens": 7}}]
        body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    return OpenAIBackend("http://model.test/v1", "m", transport=httpx.MockTransport(handler)), asked


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_the_openai_backend_reads_either_reasoning_field(field):
    from glyph_web.backends import AnswerRequest, GenerationSettings

    backend, asked = _remote(field)
    pages = [Image.new("RGB", (50, 40), (255, 255, 255))]
    history = (("q1", "<think>long reasoning</think><answer>Ines Varga</answer>"), ("q2", "<think>stopped"))
    events = list(backend.answer(AnswerRequest(pages=pages, pages_key="k", question="q3", history=history),
                                 GenerationSettings(), threading.Event()))
    assert "".join(e.text for e in events if e.kind == "thinking") == "Page 1 says so."
    assert "".join(e.text for e in events if e.kind == "text") == "41 ships"  # no GLM-V box markers
    sent = asked[0]["messages"]
    # the history goes back as the visible answer; the turn stopped while thinking is left out
    assert [(m["role"], m["content"] if isinstance(m["content"], str) else m["content"][-1]["text"])
            for m in sent] == [("user", "q1"), ("assistant", "Ines Varga"), ("user", "q3")]


def test_the_api_sends_thinking_under_both_names(tmp_path):
    import json

    from fastapi.testclient import TestClient

    from glyph_web.server import create_app

    backend = FakeBackend(script("Forty-one ships.", thinking="The log on page 1."))
    app, _ = create_app(Settings(log_dir=str(tmp_path / "logs"), rate_limit=0), backend=backend, start=False)
    with TestClient(app) as test_client:
        whole = _post(test_client).json()["choices"][0]["message"]
        assert whole["reasoning_content"] == whole["reasoning"] == "The log on page 1."
        assert whole["content"] == "Forty-one ships."
        lines = [line[6:] for line in _post(test_client, stream=True).text.splitlines()
                 if line.startswith("data: {")]
        deltas = [c["choices"][0]["delta"] for c in map(json.loads, lines) if c["choices"]]
        for name in ("reasoning_content", "reasoning"):
            assert "".join(d.get(name) or "" for d in deltas) == "The log on page 1."


# --- the real model's templates behind the API ---------------------------------------------------------------

from conftest import TEMPLATE_NAMES  # noqa: E402


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_prompt_tokens_are_the_templates_for_each_glm_v_template(template, template_dirs, tmp_path):
    """Each GLM-V template in a checkpoint: the app gets ready, the prompts are the template's and the
    processor's (the thinking of the history removed), and the follow-up reuses the pages' cache."""
    from transformers import AutoProcessor

    folder = template_dirs(template)
    page = Image.new("RGB", (700, 900), (255, 255, 255))
    for y in range(40, 860, 30):
        page.paste((20, 20, 20), (40, y, 40 + (y * 7) % 600, y + 12))
    buffer = io.BytesIO()
    page.save(buffer, "PNG")
    image_part = {"type": "image_url", "image_url": {"url": _data_url(buffer.getvalue(), "image/png")}}
    server = _Server(Settings(model=str(folder), log_dir=str(tmp_path / "logs"), rate_limit=0, max_new_tokens=8))
    try:
        first_messages = [{"role": "user", "content": [image_part, {"type": "text", "text": "What is shown?"}]}]
        first = httpx.post(server.url + "/v1/chat/completions", timeout=120,
                           json={"model": "glyph", "messages": first_messages, "temperature": 0}).json()
        follow_messages = [*first_messages,
                           {"role": "assistant", "content": "<think>The page has bars.</think>Grey bars."},
                           {"role": "user", "content": "How many?"}]
        follow = httpx.post(server.url + "/v1/chat/completions", timeout=120,
                            json={"model": "glyph", "messages": follow_messages, "temperature": 0}).json()
    finally:
        server.stop()
    processor = AutoProcessor.from_pretrained(folder)

    def expected(messages) -> int:
        text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return len(processor(text=[text], images=[page])["input_ids"][0])

    image = {"type": "image"}
    assert first["usage"]["prompt_tokens"] == expected(
        [{"role": "user", "content": [image, {"type": "text", "text": "What is shown?"}]}])
    assert follow["usage"]["prompt_tokens"] == expected(
        [{"role": "user", "content": [image, {"type": "text", "text": "What is shown?"}]},
         {"role": "assistant", "content": "Grey bars."},
         {"role": "user", "content": [{"type": "text", "text": "How many?"}]}])
    cached = follow["usage"]["prompt_tokens_details"]["cached_tokens"]
    assert cached >= 0.9 * first["usage"]["prompt_tokens"]


# --- hostile values: each a 4xx in OpenAI's shape, every stream ended with [DONE] --------------------------------

HOSTILE_BODIES = {
    "max_tokens Infinity": b'"max_tokens": Infinity',
    "max_tokens NaN": b'"max_tokens": NaN',
    "max_tokens 1e999": b'"max_tokens": 1e999',
    "max_tokens 2.5": b'"max_tokens": 2.5',
    "seed 2**70": b'"seed": ' + str(2**70).encode(),
    "seed negative": b'"seed": -1',
    "temperature NaN": b'"temperature": NaN',
    "temperature 3": b'"temperature": 3',
    "top_p 0": b'"top_p": 0',
    "repetition_penalty -Infinity": b'"repetition_penalty": -Infinity',
    "n 2": b'"n": 2',
    "a 5000-digit integer": b'"seed": ' + b"9" * 5000,
    "a lone surrogate": b'"user": "x", "messages": [{"role": "user", "content": "\\ud800 who?"}]',
    "messages not a list": b'"messages": {"role": "user"}',
    "an unknown role": b'"messages": [{"role": "wizard", "content": "x"}]',
}


def _raw_body(extra: bytes) -> bytes:
    messages = json.dumps(_ask()).encode()
    if b'"messages"' in extra:
        return b"{" + extra + b"}"
    return b'{"model": "g", "messages": ' + messages + b", " + extra + b"}"


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_hostile_values_get_a_4xx_in_openai_shape(guarded, name):
    client, backend = guarded
    response = client.post("/v1/chat/completions", content=_raw_body(HOSTILE_BODIES[name]),
                           headers={"Authorization": "Bearer key-123", "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, (name, response.status_code, response.text[:300])
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"], name
    assert not re.search("[\u4e00-\u9fff]", error["message"]), name
    # the same refusal in the client's language
    chinese = client.post("/v1/chat/completions", content=_raw_body(HOSTILE_BODIES[name]),
                          headers={"Authorization": "Bearer key-123", "Content-Type": "application/json",
                                   "Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.status_code == response.status_code, name
    assert re.search("[\u4e00-\u9fff]", chinese.json()["error"]["message"]), (name, chinese.json())
    assert backend.requests == [], name  # nothing reached the model


def test_deep_json_and_too_many_messages_are_400(guarded):
    client, _ = guarded
    headers = {"Authorization": "Bearer key-123", "Content-Type": "application/json"}
    deep = b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    many = json.dumps({"model": "g", "messages": [{"role": "user", "content": "q"}] * 10_000}).encode()
    for body in (deep, many):
        response = client.post("/v1/chat/completions", content=body, headers=headers)
        assert response.status_code in (400, 413) and "error" in response.json()


@pytest.mark.parametrize("stream", [False, True])
def test_a_prompt_that_does_not_fit_is_400_context_length_exceeded(client, tiny_server, stream):
    openai = pytest.importorskip("openai")
    question = "What does the harbour log say about ships and the weather? " * 20_000  # about 1.2 MB
    with pytest.raises(openai.BadRequestError) as caught:
        result = client.chat.completions.create(model="glyph", messages=_ask(question), max_tokens=4, stream=stream)
        if stream:
            list(result)
    assert caught.value.status_code == 400 and caught.value.body["code"] == "context_length_exceeded"
    assert "reads at most" in caught.value.body["message"]
    chinese = httpx.post(tiny_server.url + "/v1/chat/completions", timeout=120,
                         headers={"Accept-Language": "zh-CN,zh;q=0.9"},
                         json={"model": "g", "messages": _ask(question), "max_tokens": 4, "stream": stream})
    assert chinese.status_code == 400 and re.search("[\u4e00-\u9fff]", chinese.json()["error"]["message"])


def test_a_failure_mid_stream_is_an_error_event_then_done(tmp_path):
    from fastapi.testclient import TestClient

    from glyph_web.server import create_app

    backend = FakeBackend(script("Forty-one ships were logged in March."), raise_after=3,
                          error=RuntimeError("a bug deep in a backend"))
    app, _ = create_app(Settings(log_dir=str(tmp_path / "logs"), rate_limit=0), backend=backend, start=False)
    with TestClient(app) as test_client:
        text = _post(test_client, stream=True).text
        frames = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
        assert frames[-1] == "[DONE]"
        error = json.loads(frames[-2])["error"]
        assert error["code"] == "internal_error" and "bug deep" not in error["message"]  # no internals leak
        whole = _post(test_client)
        assert whole.status_code == 500 and whole.json()["error"]["type"] == "server_error"


def test_a_file_part_can_narrow_a_pdf_to_pages(tmp_path):
    """file.pages (glyph-web's extension of OpenAI's file part) reads only those pages; a bad range is a 400."""
    from fastapi.testclient import TestClient

    import docgen
    from glyph_web.server import create_app

    backend = FakeBackend(script("Two."))
    app, _ = create_app(Settings(log_dir=str(tmp_path / "logs"), rate_limit=0), backend=backend, start=False)
    scans = _data_url(docgen.pdf([b"scan", b"scan", b"scan"]), "application/pdf")

    def ask(pages):
        part = {"type": "file", "file": {"filename": "scans.pdf", "file_data": scans, "pages": pages}}
        return client.post("/v1/chat/completions", json={"model": "g", "messages": _ask("Which pages?", part)})

    with TestClient(app) as client:
        assert ask(None).status_code == 200 and len(backend.requests[-1].pages) == 3
        assert ask("2").status_code == 200 and len(backend.requests[-1].pages) == 1
        assert ask("1,3").status_code == 200 and len(backend.requests[-1].pages) == 2
        for bad in (5, "0-2", "3-1", "x"):
            response = ask(bad)
            assert response.status_code == 400 and response.json()["error"]["message"], bad
        assert len(backend.requests) == 3
