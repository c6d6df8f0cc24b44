"""The engine with the tiny real-architecture model: render -> processor -> generate -> stream, stop, cache reuse."""

from __future__ import annotations

import threading

import pytest

torch = pytest.importorskip("torch")

from glyph_web.contracts import AnswerRequest, GenerationSettings  # noqa: E402
from glyph_web.engine.manager import ModelManager  # noqa: E402
from glyph_web.errors import ContextTooLongError, EngineError  # noqa: E402
from glyph_web.render import RenderConfig, render_text  # noqa: E402

from conftest import DEJAVU, TEMPLATE_NAMES  # noqa: E402

GREEDY = GenerationSettings(max_new_tokens=12, temperature=0, repetition_penalty=1.0)
TEXT_A = ("The lighthouse keeper logged 41 ships in March. The harbour master, Ines Varga, signed the report.\n"
          * 20)
TEXT_B = "第一条 本合同由甲乙双方签订。第二条 付款期限为三十日。\n" * 30


@pytest.fixture(scope="session")
def manager(tiny_dir):
    m = ModelManager(str(tiny_dir))
    assert m.load().status == "ready"
    return m


@pytest.fixture(scope="session")
def pages_a():
    cfg = RenderConfig.from_dict({**RenderConfig.preset("en").to_dict(), "font-path": str(DEJAVU)})
    return render_text(TEXT_A, cfg).images


@pytest.fixture(scope="session")
def pages_b():
    return render_text(TEXT_B).images


def run(manager, request, settings=GREEDY, stop=None):
    return list(manager.answer(request, settings, stop))


@pytest.fixture(scope="session")
def managers(template_dirs):
    """name -> a loaded ModelManager of the tiny checkpoint with that chat template (loaded on first use)."""
    loaded = {}

    def get(name: str) -> ModelManager:
        if name not in loaded:
            m = ModelManager(str(template_dirs(name)))
            state = m.load()
            assert state.status == "ready", state.detail
            loaded[name] = m
        return loaded[name]

    return get


def thinking_history(question: str, raw: str) -> tuple[tuple[str, str], ...]:
    """A turn as a thinking model writes it: reasoning, then the answer wrapped in <answer>."""
    return ((question, f"<think>Page 1 names the harbour master.</think><answer>{raw}</answer>"),)


def test_tiny_model_loads_through_the_auto_classes(tiny_dir):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model = AutoModelForImageTextToText.from_pretrained(tiny_dir)
    processor = AutoProcessor.from_pretrained(tiny_dir)
    assert type(model).__name__ == "Glm4vForConditionalGeneration"
    assert type(processor.image_processor).__name__.startswith("Glm4vImageProcessor")
    tok = processor.tokenizer
    assert [tok.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|user|>", "<|image|>")] == \
        [151329, 151336, model.config.image_token_id]
    assert min(m.in_features for m in model.modules() if isinstance(m, torch.nn.Linear)) >= 64


def test_state_reports_ready_device_precision_and_noise(manager):
    state = manager.state
    assert state.status == "ready" and state.device == "CPU" and state.precision == "fp32"
    assert state.noise and state.memory_gb and state.memory_gb > 0


def test_whole_path_streams_tokens(manager, pages_a):
    events = run(manager, AnswerRequest(pages=pages_a, pages_key="a", question="Who signed the report?"))
    kinds = [e.kind for e in events]
    assert kinds[-2:] == ["usage", "done"] and set(kinds[:-2]) <= {"text", "thinking"}
    deltas = "".join(e.text for e in events if e.kind in ("text", "thinking"))
    done = events[-1]
    assert deltas == done.raw and len(deltas) > 0  # the stream adds up to the whole answer
    usage = done.usage
    assert usage.completion_tokens == 12 and usage.finish_reason == "length"
    assert usage.prompt_tokens > usage.visual_tokens and usage.ttft_s is not None and usage.ttft_s <= usage.total_s


def test_processor_visual_tokens_match_the_renderer_estimate(manager, pages_a):
    from glyph_web.render.tokens import visual_tokens

    events = run(manager, AnswerRequest(pages=pages_a, pages_key="tokens-check", question="Count?"))
    assert events[-1].usage.visual_tokens == sum(visual_tokens(*img.size) for img in pages_a)
    processor = manager.runtime.processor
    grid = processor(text=["<|begin_of_image|><|image|><|end_of_image|>"], images=[pages_a[0]],
                     return_tensors="pt")["image_grid_thw"]
    assert int(grid.prod()) // 4 == visual_tokens(*pages_a[0].size)


def test_stop_ends_within_one_step_and_frees_the_model(manager, pages_a):
    stop = threading.Event()
    settings = GenerationSettings(max_new_tokens=200, temperature=0, repetition_penalty=1.0)
    produced = []
    for event in manager.answer(AnswerRequest(pages=pages_a, pages_key="stop", question="Go on"), settings, stop):
        if event.kind in ("text", "thinking"):
            produced.append(event)
            if len(produced) == 3:
                stop.set()
        if event.kind == "done":
            usage = event.usage
    assert usage.finish_reason == "cancelled"
    assert usage.completion_tokens <= 4  # the token being decoded when stop was pressed, at most
    # the lock is free: the next request runs at once
    again = run(manager, AnswerRequest(pages=pages_a, pages_key="stop", question="Again"))
    assert again[-1].usage.finish_reason == "length"


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_follow_up_uses_the_cache_without_the_vision_encoder(managers, template, pages_a):
    manager = managers(template)
    calls = []
    hook = manager.runtime.model.model.visual.register_forward_hook(lambda *a: calls.append(1))
    try:
        first = run(manager, AnswerRequest(pages=pages_a, pages_key="cache-hit", question="Who signed?"))
        assert len(calls) == 1 and first[-1].usage.cached_tokens == 0
        prompt_tokens = first[-1].usage.prompt_tokens
        follow = AnswerRequest(pages=pages_a, pages_key="cache-hit", question="How many ships?",
                               history=thinking_history("Who signed?", first[-1].raw))
        second = run(manager, follow)
        assert len(calls) == 1  # the pages were not encoded again
        usage = second[-1].usage
        # the pages and the first question at least: whatever the template does with the history after them
        assert usage.cached_tokens >= 0.9 * prompt_tokens
        assert usage.cached_tokens >= first[-1].usage.visual_tokens
        assert manager.runtime.last_prefill_tokens == usage.prompt_tokens - usage.cached_tokens
        # what was prefilled is the text after the shared part: the visible answer and the new question
        assert manager.runtime.last_prefill_tokens <= usage.prompt_tokens - prompt_tokens + 8
    finally:
        hook.remove()


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_cached_follow_up_equals_a_full_recompute(template_dirs, template, pages_a):
    cached = ModelManager(str(template_dirs(template)))
    fresh = ModelManager(str(template_dirs(template)), cache_enabled=False)
    cached.load(), fresh.load()
    first = run(cached, AnswerRequest(pages=pages_a, pages_key="eq", question="Who signed the report?"))
    assert run(fresh, AnswerRequest(pages=pages_a, pages_key="eq", question="Who signed the report?"))[-1].raw \
        == first[-1].raw
    history = thinking_history("Who signed the report?", first[-1].raw)
    follow = AnswerRequest(pages=pages_a, pages_key="eq", question="Which month?", history=history)
    cached.runtime.record_logits = fresh.runtime.record_logits = True
    from_cache = run(cached, follow)
    recomputed = run(fresh, follow)
    assert from_cache[-1].usage.cached_tokens >= 0.9 * first[-1].usage.prompt_tokens
    assert recomputed[-1].usage.cached_tokens == 0
    assert from_cache[-1].usage.prompt_tokens == recomputed[-1].usage.prompt_tokens
    assert from_cache[-1].raw == recomputed[-1].raw
    for a, b in zip(cached.runtime.last_logits, fresh.runtime.last_logits, strict=True):
        assert torch.allclose(a, b, atol=1e-4, rtol=0), float((a - b).abs().max())


def test_wrong_positions_would_change_the_answer(tiny_dir, pages_a):
    """The weight scale makes the equality test above meaningful: a shifted rope offset changes tokens."""
    m = ModelManager(str(tiny_dir))
    m.load()
    first = run(m, AnswerRequest(pages=pages_a, pages_key="shift", question="Who?"))
    follow = AnswerRequest(pages=pages_a, pages_key="shift", question="Where?", history=(("Who?", first[-1].raw),))
    good = run(m, follow)[-1].raw
    for entry in m.runtime.cache.entries_of("shift"):
        entry.rope_deltas = entry.rope_deltas + 7
    assert run(m, follow)[-1].raw != good


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_two_documents_interleaved_each_get_their_own_answers(template_dirs, template, pages_a, pages_b):
    solo_a, solo_b, mixed = (ModelManager(str(template_dirs(template))) for _ in range(3))
    for m in (solo_a, solo_b, mixed):
        m.load()

    def conversation(m, pages, key, questions, log):
        history = ()
        for q in questions:
            raw = run(m, AnswerRequest(pages=pages, pages_key=key, question=q, history=history))[-1].raw
            history += ((q, raw),)
            log.append(raw)
            yield

    expected_a, expected_b, got_a, got_b = [], [], [], []
    for _ in conversation(solo_a, pages_a, "A", ["q1", "q2", "q3"], expected_a):
        pass
    for _ in conversation(solo_b, pages_b, "B", ["问1", "问2", "问3"], expected_b):
        pass
    turns_a = conversation(mixed, pages_a, "A", ["q1", "q2", "q3"], got_a)
    turns_b = conversation(mixed, pages_b, "B", ["问1", "问2", "问3"], got_b)
    for _ in range(3):
        next(turns_a)
        next(turns_b)
    assert got_a == expected_a and got_b == expected_b
    assert got_a != got_b


def test_cache_budget_evicts_least_recently_used(tiny_dir, pages_a, pages_b):
    m = ModelManager(str(tiny_dir), cache_gb=0.0002)  # ~210 kB: room for one document's pages
    m.load()
    run(m, AnswerRequest(pages=pages_a, pages_key="A", question="q"))
    run(m, AnswerRequest(pages=pages_b, pages_key="B", question="q"))
    cache = m.runtime.cache
    assert cache.nbytes <= cache.budget_bytes
    assert len(cache.entries_of("B")) == 2  # B's pages and its conversation, used last, are kept
    assert len(cache.entries_of("A")) < 2  # A's pages, used longest ago, went first
    again = run(m, AnswerRequest(pages=pages_a, pages_key="A", question="another question"))
    assert again[-1].raw  # answered, from what was left or recomputed


def test_changed_pages_never_reuse_stale_state(manager, pages_a, pages_b):
    run(manager, AnswerRequest(pages=pages_a, pages_key="doc@v1", question="q"))
    changed = run(manager, AnswerRequest(pages=pages_b, pages_key="doc@v2", question="q"))
    assert changed[-1].usage.cached_tokens == 0


def test_prompt_that_does_not_fit_is_refused_before_any_work(manager, pages_a):
    calls = []
    hook = manager.runtime.model.model.visual.register_forward_hook(lambda *a: calls.append(1))
    try:
        too_long = GenerationSettings(max_new_tokens=65_300)
        with pytest.raises(ContextTooLongError) as err:
            run(manager, AnswerRequest(pages=pages_a * 3, pages_key="big", question="q", dpi=72), too_long)
    finally:
        hook.remove()
    assert calls == []
    message = str(err.value)
    assert "reads at most 65,536 tokens, 65,300 of which are kept for the answer" in message
    assert "3 pages, 408 of them visual" in message and "about 1 page fits at 72 dpi" in message
    # the page says it in Chinese (and in English the very message)
    from glyph_web.errors import say

    zh = say(err.value, "zh")
    assert zh != message and "在 72 dpi 下大约只能放下 1 页" in zh and "65,300 个留给回答" in zh
    assert say(err.value, "en") == message


def test_sampling_follows_the_seed(manager, pages_a):
    sampled = GenerationSettings(max_new_tokens=10, temperature=0.9, top_p=0.9, seed=7)
    a = run(manager, AnswerRequest(pages=pages_a, pages_key="s", question="q"), sampled)[-1].raw
    b = run(manager, AnswerRequest(pages=pages_a, pages_key="s", question="q"), sampled)[-1].raw
    c = run(manager, AnswerRequest(pages=pages_a, pages_key="s", question="q"),
            GenerationSettings(max_new_tokens=10, temperature=0.9, top_p=0.9, seed=8))[-1].raw
    assert a == b and a != c


def test_stop_tokens_end_the_answer(manager, pages_a):
    run(manager, AnswerRequest(pages=pages_a, pages_key="a", question="Who signed the report?"))
    first_token = manager.runtime.last_generated[0]  # the first token the model produced
    stopped = run(manager, AnswerRequest(pages=pages_a, pages_key="a", question="Who signed the report?"),
                  GenerationSettings(max_new_tokens=12, temperature=0, repetition_penalty=1.0,
                                     stop_token_ids=(first_token,)))
    assert stopped[-1].usage.finish_reason == "stop" and stopped[-1].usage.completion_tokens == 0


def test_four_bit_loading_on_cpu(tiny_dir, pages_a):
    pytest.importorskip("bitsandbytes")
    m = ModelManager(str(tiny_dir), load_in_4bit=True)
    state = m.load()
    assert state.status == "ready", state.detail
    assert state.precision == "4-bit NF4"
    kinds = {type(mod).__name__ for mod in m.runtime.model.modules()}
    assert "Linear4bit" in kinds
    events = run(m, AnswerRequest(pages=pages_a[:1], pages_key="q4", question="q"))
    assert events[-1].usage.completion_tokens == 12


@pytest.mark.parametrize("name, words", [
    ("/no/such/folder", "The model folder /no/such/folder does not exist"),
    ("not-a/real-model", "cannot be reached"),
])
def test_load_failure_is_reported_and_the_process_goes_on(name, words, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    m = ModelManager(name)
    state = m.load()
    assert state.status == "failed" and words in state.detail
    _said_in_chinese_too(state.detail)
    with pytest.raises(EngineError, match="The model is not available"):
        run(m, AnswerRequest(pages=[], pages_key="x", question="q"))


def test_folder_without_a_checkpoint_is_reported(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    state = ModelManager(str(tmp_path)).load()
    assert state.status == "failed" and "has no config.json" in state.detail
    _said_in_chinese_too(state.detail)


def test_damaged_checkpoint_is_reported(tiny_dir, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny_dir, broken)
    (broken / "model.safetensors").write_bytes(b"not weights")
    state = ModelManager(str(broken)).load()
    assert state.status == "failed" and "could not be loaded" in state.detail
    assert "complete GLM-4.1V/Glyph checkpoint" in state.detail
    _said_in_chinese_too(state.detail)


@pytest.mark.parametrize("exc, four_bit, reason", [
    (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), False,
     "Not enough GPU memory to load zai-org/Glyph: try 4-bit loading (--load-in-4bit), or the tiny demo model "
     "(--model tiny)."),
    (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), True,
     "Not enough GPU memory to load zai-org/Glyph: use a GPU with more memory, or the tiny demo model "
     "(--model tiny)."),
    (ImportError("No module named 'bitsandbytes'"), True,
     "4-bit loading needs the bitsandbytes package (pip install bitsandbytes) and a supported device; load without "
     "--load-in-4bit instead."),
    (OSError("connection reset\nmore lines"), False, "The model zai-org/Glyph could not be loaded (connection reset)."),
    (EngineError("engine.no_chat_template"), False,
     "The model has no chat template (chat_template.jinja or chat_template.json in its folder), so glyph-web cannot "
     "build its prompts."),
])
def test_every_load_failure_is_explained_in_the_page_languages(exc, four_bit, reason):
    from glyph_web.engine.manager import _explain_load_failure

    explained = _explain_load_failure(exc, "zai-org/Glyph", four_bit)
    assert explained == reason
    _said_in_chinese_too(explained)


def test_the_loading_steps_are_said_in_the_page_languages(tiny_dir):
    from glyph_web.engine.generate import Runtime

    steps = []
    Runtime.load(str(tiny_dir), device="cpu", cache_gb=0,
                 progress=lambda step, fraction: steps.append((step, fraction))).close()
    assert steps == [("reading the processor", 0.1), ("loading the weights", 0.3), ("ready", 1.0)]
    for step, _ in steps:
        _said_in_chinese_too(step)


def _said_in_chinese_too(message: str) -> None:
    """The page's status line says the reason in Chinese (the state holds it by key), and in English the very
    message."""
    import re

    from glyph_web.errors import Message, say

    assert isinstance(message, Message), repr(message)
    zh = say(message, "zh")
    assert zh != message and re.search("[\u4e00-\u9fff]", zh)
    assert say(message, "en") == message


@pytest.mark.slow
def test_bench_generate_reports_the_figures(tiny_dir, tmp_path):
    import json
    import subprocess
    import sys

    from conftest import ROOT

    doc = tmp_path / "doc.txt"
    doc.write_text("The special magic number for fretful-place is 4412873.\n" * 40)
    proc = subprocess.run([sys.executable, ROOT / "scripts" / "bench_generate.py", "--model", str(tiny_dir),
                           "--doc", str(doc), "--repeats", "1", "--max-new-tokens", "4", "--json"],
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    out = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    for key in ("ttft_first_s", "ttft_followup_s", "decode_tok_s", "peak_mem_gb"):
        assert isinstance(out[key], (int, float)) and out[key] > 0, key
    assert out["followup_cached_tokens"] > out["visual_tokens"] and out["pages"] == 1


# --- the real model's contract: its own template, the thinking out of the history, threads, clean text -------


def _reference_ids(processor, pages, messages) -> list[int]:
    """What the model's template and its processor give for these messages: the contract the engine meets."""
    text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return processor(text=[text], images=list(pages), return_tensors="pt")["input_ids"][0].tolist()


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_prompt_ids_are_the_templates_and_the_processors(managers, template, pages_a):
    runtime = managers(template).runtime
    processor = runtime.processor
    images = [{"type": "image"} for _ in pages_a]
    first = AnswerRequest(pages=pages_a, pages_key="ids", question="Who signed the report?")
    assert runtime._prompt(first, GREEDY).ids == _reference_ids(
        processor, pages_a,
        [{"role": "user", "content": [*images, {"type": "text", "text": "Who signed the report?"}]}])
    raw = "<think>\nThe report ends with a signature on page 1.\n</think>\n<answer>Ines Varga signed it.</answer>"
    follow = AnswerRequest(pages=pages_a, pages_key="ids", question="In which month?",
                           history=(("Who signed the report?", raw),))
    prompt = runtime._prompt(follow, GREEDY)
    expected = _reference_ids(processor, pages_a, [
        {"role": "user", "content": [*images, {"type": "text", "text": "Who signed the report?"}]},
        {"role": "assistant", "content": "Ines Varga signed it."},
        {"role": "user", "content": [{"type": "text", "text": "In which month?"}]}])
    assert prompt.ids == expected
    assert "signature on page 1" not in prompt.text and "<answer>" not in prompt.text  # the thinking stays out
    with_thinking = processor.apply_chat_template([
        {"role": "user", "content": [*images, {"type": "text", "text": "Who signed the report?"}]},
        {"role": "assistant", "content": raw},
        {"role": "user", "content": [{"type": "text", "text": "In which month?"}]}],
        add_generation_prompt=True, tokenize=False)
    if template in ("tiny", "glm41v"):  # templates that render the history as given would have kept it
        assert "signature on page 1" in with_thinking
    # the page prefix ends at the last image token, wherever the template puts the question
    assert prompt.ids[prompt.prefix_len - 1] == runtime.prompts.image_token_id
    assert runtime.prompts.image_token_id not in prompt.ids[prompt.prefix_len:]


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_a_turn_stopped_while_thinking_is_left_out_of_the_history(managers, template, pages_a):
    runtime = managers(template).runtime
    alone = runtime._prompt(AnswerRequest(pages=pages_a, pages_key="k", question="Next?"), GREEDY)
    stopped = runtime._prompt(AnswerRequest(pages=pages_a, pages_key="k", question="Next?",
                                            history=(("First?", "<think>Still reading page"),)), GREEDY)
    assert stopped.ids == alone.ids and "Still reading" not in stopped.text
    partial = runtime._prompt(AnswerRequest(pages=pages_a, pages_key="k", question="Next?",
                                            history=(("First?", "<think>done</think>The keeper log"),)), GREEDY)
    assert "The keeper log" in partial.text and "done" not in partial.text and "<think>done" not in partial.text


def test_typed_special_tokens_stay_text(managers, pages_a):
    runtime = managers("tiny").runtime
    question = "Is <|image|> or <|user|> or [gMASK] in the text?"
    prompt = runtime._prompt(AnswerRequest(pages=pages_a, pages_key="typed", question=question), GREEDY)
    counts = [runtime.prompts.visual_tokens(*img.size) for img in pages_a]
    assert prompt.ids.count(runtime.prompts.image_token_id) == sum(counts)  # no placeholder without an image
    user_id = runtime.tokenizer.convert_tokens_to_ids("<|user|>")
    assert prompt.ids.count(user_id) == 1  # no forged turn
    events = run(managers("tiny"), AnswerRequest(pages=pages_a, pages_key="typed", question=question))
    assert events[-1].kind == "done"


def _in_new_threads(generator) -> list:
    """Drive a generator with each next() on a thread of its own, as Gradio's worker pool resumes them."""
    events: list = []
    failure: list = []

    def step():
        try:
            events.append(next(generator))
        except StopIteration:
            events.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            failure.append(exc)

    while not events or events[-1] is not None:
        worker = threading.Thread(target=step)
        worker.start()
        worker.join(timeout=120)
        assert not worker.is_alive(), "a step hung"
        if failure:
            raise failure[0]
    return events[:-1]


@pytest.mark.parametrize("template", ["tiny", "glm45v"])
def test_an_answer_resumed_on_other_threads_and_its_follow_ups(managers, template, pages_a):
    manager = managers(template)
    torch.set_grad_enabled(True)  # as on Gradio's worker threads: grad mode is on wherever the steps resume
    history = ()
    for number, question in enumerate(["Who signed?", "How many ships?", "In which month?", "Where?"]):
        request = AnswerRequest(pages=pages_a, pages_key=f"threads-{template}", question=question, history=history)
        events = _in_new_threads(manager.answer(request, GREEDY, threading.Event()))
        done = events[-1]
        assert done.kind == "done" and done.usage.completion_tokens == GREEDY.max_new_tokens
        if number:
            assert done.usage.cached_tokens >= done.usage.visual_tokens  # the follow-ups reuse the cache
        history += ((question, done.raw),)
    for entry in manager.runtime.cache.entries_of(f"threads-{template}"):
        assert all(not t.requires_grad and t.grad_fn is None for layer in entry.cache.layers
                   for t in (layer.keys, layer.values))


def test_an_abandoned_answer_stops_and_frees_the_model(managers, pages_a):
    manager = managers("tiny")
    long = GenerationSettings(max_new_tokens=5000, temperature=0, repetition_penalty=1.0, ignore_stop=True)
    events = manager.answer(AnswerRequest(pages=pages_a, pages_key="abandon", question="Go on"), long)
    next(events)
    events.close()  # the page was closed: the consumer goes away mid-answer
    again = run(manager, AnswerRequest(pages=pages_a, pages_key="abandon", question="Again"))
    assert again[-1].usage.finish_reason == "length" and again[-1].usage.completion_tokens == 12


def test_special_tokens_never_reach_the_text(managers, pages_a, monkeypatch):
    manager = managers("tiny")
    runtime = manager.runtime
    tok = runtime.tokenizer
    script = [tok.convert_tokens_to_ids(t) for t in ("<think>",)] + tok.encode("Page 2", add_special_tokens=False) \
        + [tok.convert_tokens_to_ids(t) for t in ("</think>", "<|begin_of_box|>", "[gMASK]", "<sop>")] \
        + tok.encode("42", add_special_tokens=False) + [tok.convert_tokens_to_ids("<|end_of_box|>"), 151329]
    steps = iter(script)
    monkeypatch.setattr(runtime, "_sample", lambda *args: next(steps))
    events = run(manager, AnswerRequest(pages=pages_a, pages_key="special", question="q"),
                 GenerationSettings(max_new_tokens=40, temperature=0, repetition_penalty=1.0))
    thinking = "".join(e.text for e in events if e.kind == "thinking")
    text = "".join(e.text for e in events if e.kind == "text")
    assert thinking == "Page 2" and text == "42"
    done = events[-1]
    assert done.usage.finish_reason == "stop"
    for marker in ("<|begin_of_box|>", "<|end_of_box|>", "[gMASK]", "<sop>"):
        assert marker not in done.raw
    assert runtime.last_generated == script[:-1]  # the model was fed them all the same


def test_reload_finishes_the_running_answer_and_refuses_the_old_runtime(tiny_dir, pages_a):
    m = ModelManager(str(tiny_dir))
    m.load()
    old = m.runtime
    events = m.answer(AnswerRequest(pages=pages_a, pages_key="reload", question="q"), GREEDY)
    first = next(events)
    reloader = threading.Thread(target=m.reload)
    reloader.start()
    rest = list(events)  # the running answer ends normally while the reload waits for it
    reloader.join(timeout=120)
    assert [first, *rest][-1].kind == "done" and m.state.ready and m.runtime is not old
    with pytest.raises(EngineError, match="unloaded"):
        list(old.answer(AnswerRequest(pages=pages_a, pages_key="reload", question="q"), GREEDY, threading.Event()))
    assert run(m, AnswerRequest(pages=pages_a, pages_key="reload", question="q"))[-1].kind == "done"


def test_an_answer_stopped_while_waiting_for_the_device_reads_nothing(managers, pages_a):
    manager = managers("tiny")
    calls = []
    hook = manager.runtime.model.model.visual.register_forward_hook(lambda *a: calls.append(1))
    try:
        stop = threading.Event()
        stop.set()
        events = run(manager, AnswerRequest(pages=pages_a, pages_key="waited", question="q"), GREEDY, stop)
    finally:
        hook.remove()
    assert calls == [] and [e.kind for e in events] == ["usage", "done"]
    assert events[-1].usage.finish_reason == "cancelled" and events[-1].usage.completion_tokens == 0
