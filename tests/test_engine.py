"""The engine with the tiny real-architecture model: render -> processor -> generate -> stream, stop, cache reuse."""

from __future__ import annotations

import threading

import pytest

torch = pytest.importorskip("torch")

from glyph_web.engine.manager import AnswerRequest, GenerationSettings, ModelManager  # noqa: E402
from glyph_web.errors import ContextTooLongError, EngineError  # noqa: E402
from glyph_web.render import RenderConfig, render_text  # noqa: E402

from conftest import DEJAVU  # noqa: E402

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


def test_follow_up_uses_the_cache_without_the_vision_encoder(manager, pages_a):
    calls = []
    hook = manager.runtime.model.model.visual.register_forward_hook(lambda *a: calls.append(1))
    try:
        first = run(manager, AnswerRequest(pages=pages_a, pages_key="cache-hit", question="Who signed?"))
        assert len(calls) == 1 and first[-1].usage.cached_tokens == 0
        prompt_tokens = first[-1].usage.prompt_tokens
        follow = AnswerRequest(pages=pages_a, pages_key="cache-hit", question="How many ships?",
                               history=(("Who signed?", first[-1].raw),))
        second = run(manager, follow)
        assert len(calls) == 1  # the pages were not encoded again
        usage = second[-1].usage
        assert usage.cached_tokens >= prompt_tokens + 11  # the pages, the question and the answer so far
        assert manager.runtime.last_prefill_tokens == usage.prompt_tokens - usage.cached_tokens
        assert manager.runtime.last_prefill_tokens < 25  # only the new question's tokens
    finally:
        hook.remove()


def test_cached_follow_up_equals_a_full_recompute(tiny_dir, pages_a):
    cached = ModelManager(str(tiny_dir))
    fresh = ModelManager(str(tiny_dir), cache_enabled=False)
    cached.load(), fresh.load()
    first = run(cached, AnswerRequest(pages=pages_a, pages_key="eq", question="Who signed the report?"))
    # the recompute knows the first answer's token ids too (greedy: the same answer), as a restarted chat would
    assert run(fresh, AnswerRequest(pages=pages_a, pages_key="eq", question="Who signed the report?"))[-1].raw \
        == first[-1].raw
    history = (("Who signed the report?", first[-1].raw),)
    follow = AnswerRequest(pages=pages_a, pages_key="eq", question="Which month?", history=history)
    cached.runtime.record_logits = fresh.runtime.record_logits = True
    from_cache = run(cached, follow)
    recomputed = run(fresh, follow)
    assert from_cache[-1].usage.cached_tokens >= first[-1].usage.prompt_tokens + 11
    assert recomputed[-1].usage.cached_tokens == 0
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
    for entry in m.runtime.cache._docs["shift"].entries:
        entry.rope_deltas = entry.rope_deltas + 7
    assert run(m, follow)[-1].raw != good


def test_two_documents_interleaved_each_get_their_own_answers(tiny_dir, pages_a, pages_b):
    solo_a, solo_b, mixed = (ModelManager(str(tiny_dir)) for _ in range(3))
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
    assert len(cache._docs["B"].entries) == 2  # B's pages and its conversation, used last, are kept
    assert len(cache._docs["A"].entries) < 2  # A's pages, used longest ago, went first
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
    # the page says it in Chinese (and the English catalogue entry gives back the very message)
    from glyph_web.ui.text import _COMPILED, localize, t

    zh = localize("zh", message)
    assert zh != message and "在 72 dpi 下大约只能放下 1 页" in zh
    key, match = next((key, p.fullmatch(message)) for key, p in _COMPILED if p.fullmatch(message))
    assert t("en", key, **match.groupdict()) == message


def test_sampling_follows_the_seed(manager, pages_a):
    sampled = GenerationSettings(max_new_tokens=10, temperature=0.9, top_p=0.9, seed=7)
    a = run(manager, AnswerRequest(pages=pages_a, pages_key="s", question="q"), sampled)[-1].raw
    b = run(manager, AnswerRequest(pages=pages_a, pages_key="s", question="q"), sampled)[-1].raw
    c = run(manager, AnswerRequest(pages=pages_a, pages_key="s", question="q"),
            GenerationSettings(max_new_tokens=10, temperature=0.9, top_p=0.9, seed=8))[-1].raw
    assert a == b and a != c


def test_stop_tokens_end_the_answer(manager, pages_a):
    events = run(manager, AnswerRequest(pages=pages_a, pages_key="a", question="Who signed the report?"))
    first_token = manager.runtime._answers[events[-1].raw][0]  # the first token the model produced
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


def _said_in_chinese_too(message: str) -> None:
    """The page's status line says the reason in Chinese, and the English catalogue gives the very message."""
    import re

    from glyph_web.ui.text import _COMPILED, localize, t

    zh = localize("zh", message)
    assert zh != message and re.search("[\u4e00-\u9fff]", zh)
    key, match = next((key, p.fullmatch(message)) for key, p in _COMPILED if p.fullmatch(message))
    assert t("en", key, **match.groupdict()) == message


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
