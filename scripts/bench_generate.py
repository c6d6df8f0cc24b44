#!/usr/bin/env python3
"""Generation benchmark: time to first token for a first question and for a follow-up, decode speed, memory.

    python scripts/bench_generate.py [--model tiny|DIR|ID] [--doc FILE] [--chat-template FILE] [--json]
    python scripts/bench_generate.py --synthetic-full [--load-in-4bit] --json     # on a GPU: the 9B model's shape

The document is rendered once (official preset for its language), then:
- first question: a cold request (its pages not in the KV cache); median of --repeats after one warm-up;
- follow-up: a new question in the same conversation, served from the KV cache; median of --repeats;
- decode speed: tokens per second after the first token, generation forced to --max-new-tokens;
- peak memory: GPU memory (torch.cuda.max_memory_allocated) when on a GPU, else the process's peak RSS.

--synthetic-full builds GLM-4.1V-9B's architecture (transformers' Glm4vConfig defaults, context 65,536) with
random bf16 weights on the GPU, so speed and memory are those of the real model; with --load-in-4bit it is
saved to a temporary folder and loaded back in NF4. The tokenizer and processor are the tiny model's (same
special-token ids, the real image processor).

--chat-template FILE runs the same with another chat template in place of the checkpoint's (for example the
GLM-V family's in ../shared/glyph-reference/templates/): the follow-up's history is then rendered the way that
template renders it, thinking removed, and the cache must still serve the pages.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from glyph_web.documents import load_file  # noqa: E402
from glyph_web.render import render_document  # noqa: E402

DEFAULT_DOC = ROOT.parent / "shared" / "glyph-reference" / "case3.txt"
FIRST_Q = "What is the special magic number mentioned in the provided text?"
FOLLOW_UPS = ["Where in the text does it appear?", "Repeat the number once more.", "Is there a second one?",
              "Summarise the text in one line."]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tiny", help="tiny (default), a checkpoint folder or a hub id")
    parser.add_argument("--doc", type=Path, default=DEFAULT_DOC, help="document to ask about (default: case3.txt)")
    parser.add_argument("--synthetic-full", action="store_true", help="random-weight GLM-4.1V-9B (needs a GPU)")
    parser.add_argument("--load-in-4bit", action="store_true")
    parser.add_argument("--chat-template", type=Path, help="a Jinja chat template instead of the checkpoint's")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)

    import torch

    from glyph_web.contracts import AnswerRequest, GenerationSettings
    from glyph_web.engine.manager import ModelManager

    if not args.doc.is_file():
        print(f"bench_generate: error: {args.doc} does not exist (use --doc)", file=sys.stderr)
        return 2
    template = None
    if args.chat_template:
        try:
            template = args.chat_template.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"bench_generate: error: cannot read {args.chat_template}: {exc}", file=sys.stderr)
            return 2
    started = time.perf_counter()
    doc = load_file(args.doc)
    pages = render_document(doc)
    render_s = time.perf_counter() - started
    key = f"{doc.sha256}:{pages.config.cache_key()}"

    cuda = torch.cuda.is_available()
    if args.synthetic_full:
        if not cuda:
            print("bench_generate: error: --synthetic-full needs a GPU (the 9B model does not fit this machine)",
                  file=sys.stderr)
            return 2
        manager = synthetic_manager(args.load_in_4bit, template)
    else:
        model = args.model if template is None else with_template(args.model, template)
        manager = ModelManager(model, load_in_4bit=args.load_in_4bit, cache_gb=16)
        state = manager.load()
        if not state.ready:
            print(f"bench_generate: error: {state.detail}", file=sys.stderr)
            return 2
    fixed = GenerationSettings(max_new_tokens=args.max_new_tokens, temperature=0, repetition_penalty=1.0,
                               ignore_stop=True)
    if cuda:
        torch.cuda.reset_peak_memory_stats()

    def ask(pages_key: str, question: str, history=()):
        request = AnswerRequest(pages=pages.images, pages_key=pages_key, question=question, history=history)
        done = [e for e in manager.answer(request, fixed) if e.kind == "done"][0]
        return done

    warm = ask(f"{key}:warm-up", FIRST_Q)  # loads kernels and allocator pools
    firsts = [ask(f"{key}:cold{i}", FIRST_Q) for i in range(args.repeats)]  # new keys: never in the cache
    history = ((FIRST_Q, firsts[-1].raw),)
    ask(f"{key}:cold{args.repeats - 1}", FOLLOW_UPS[-1], history)  # warm-up of the follow-up path
    follows = [ask(f"{key}:cold{args.repeats - 1}", FOLLOW_UPS[i % len(FOLLOW_UPS)], history)
               for i in range(args.repeats)]
    ttft_first = statistics.median(d.usage.ttft_s for d in firsts)
    ttft_follow = statistics.median(d.usage.ttft_s for d in follows)
    rates = [d.usage.decode_tokens_per_s for d in firsts + follows if d.usage.decode_tokens_per_s]
    if cuda:
        peak_gb = torch.cuda.max_memory_allocated() / 2**30
    else:
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
    state = manager.state
    result = {
        "model": "synthetic GLM-4.1V-9B" if args.synthetic_full else args.model,
        "chat_template": args.chat_template.name if args.chat_template else "the checkpoint's",
        "device": state.device, "precision": state.precision,
        "doc": args.doc.name, "pages": len(pages.images), "visual_tokens": sum(pages.visual_tokens),
        "prompt_tokens": warm.usage.prompt_tokens, "render_s": round(render_s, 3),
        "ttft_first_s": round(ttft_first, 4), "ttft_followup_s": round(ttft_follow, 4),
        "followup_ratio": round(ttft_follow / ttft_first, 4),
        "followup_cached_tokens": follows[-1].usage.cached_tokens,
        "decode_tok_s": round(statistics.median(rates), 2) if rates else None,
        "max_new_tokens": args.max_new_tokens,
        "peak_mem_gb": round(peak_gb, 2), "peak_mem_kind": "gpu" if cuda else "process RSS",
        "repeats": args.repeats,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:>24}: {value}")
    return 0


def with_template(model: str, template: str) -> str:
    """A folder that is the checkpoint `model` (tiny or a folder) but for its chat template: links to its files."""
    from glyph_web.engine.tiny import make_tiny_model

    if model == "tiny":
        source = Path(tempfile.mkdtemp(prefix="glyph-bench-tiny-"))
        make_tiny_model(source)
    else:
        source = Path(model)
    folder = Path(tempfile.mkdtemp(prefix="glyph-bench-template-"))
    for item in source.iterdir():
        if item.name not in ("chat_template.jinja", "chat_template.json"):
            (folder / item.name).symlink_to(item.resolve())
    (folder / "chat_template.jinja").write_text(template, encoding="utf-8")
    return str(folder)


def synthetic_manager(load_in_4bit: bool, template: str | None = None):
    """A ModelManager around a random-weight model of GLM-4.1V-9B's shape, on the GPU."""
    import torch
    from transformers import Glm4vConfig, Glm4vForConditionalGeneration

    from glyph_web.engine.generate import Runtime
    from glyph_web.engine.kvcache import PrefixCache
    from glyph_web.engine.manager import ModelManager
    from glyph_web.engine.tiny import make_tiny_model

    tiny = make_tiny_model(Path(tempfile.mkdtemp(prefix="glyph-bench-tiny-")))
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(tiny)
    if template is not None:
        processor.chat_template = template
    config = Glm4vConfig()  # the 9B model's shape
    config.text_config.max_position_embeddings = 65536
    with torch.device("meta"):
        model = Glm4vForConditionalGeneration(config)
    model = model.to_empty(device="cuda").to(torch.bfloat16)
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.02)
    model.eval()
    precision = "bf16"
    if load_in_4bit:
        from transformers import AutoModelForImageTextToText, BitsAndBytesConfig

        folder = Path(tempfile.mkdtemp(prefix="glyph-bench-9b-"))
        model.save_pretrained(folder)
        del model
        torch.cuda.empty_cache()
        model = AutoModelForImageTextToText.from_pretrained(folder, device_map="auto", quantization_config=(
            BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=torch.bfloat16))).eval()
        precision = "4-bit NF4"
    from transformers import GenerationConfig

    model.generation_config = GenerationConfig(eos_token_id=[151329, 151336, 151338])
    manager = ModelManager("synthetic")
    manager._runtime = Runtime(model, processor, device_name=torch.cuda.get_device_name(0), precision=precision,
                               noise=True, cache=PrefixCache(16 * 2**30))
    manager._set(status="ready", device=manager._runtime.device_name, precision=precision, noise=True)
    return manager


if __name__ == "__main__":
    sys.exit(main())
