"""Runtime: a loaded GLM-4.1V/Glyph model, its processor, and the decoding loop with prefix reuse.

The prompt is the model's own chat template over the whole conversation (engine/prompt.py); the KV cache
follows the prompt, by the longest common token prefix with what was read before (engine/kvcache.py). The
decoding loop is our own rather than `generate()`: it times the first token when it is sampled, checks the stop
request at every step, feeds only what the cache lacks, and keeps the tokenizer's special tokens (other than
the think/answer tags) out of the text. Every step runs on the runtime's decode thread (engine/worker.py),
whichever thread resumes the answer's generator.

GLM-4.1V keeps the M-RoPE offset of the images (`rope_deltas`) on the model object; it is saved with each
cache entry and restored before every forward pass, because another document's request in between would
otherwise shift the 3D positions silently.
"""

from __future__ import annotations

import copy
import inspect
import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import torch

from glyph_web.contracts import AnswerRequest, GenerationSettings, StreamEvent, Usage
from glyph_web.engine.kvcache import CacheEntry, PrefixCache
from glyph_web.engine.prompt import PromptBuilder
from glyph_web.engine.worker import DecodeThread
from glyph_web.errors import ContextTooLongError, EngineError, Message
from glyph_web.stream import ThinkSplitter

logger = logging.getLogger(__name__)

# Kept in the text: the splitter turns them into thinking and answer. Every other special token is hidden.
_SHOWN_TAGS = {"<think>", "</think>", "<answer>", "</answer>"}
_MARKUP = re.compile(r"<\|[^|<>]+\|>")


@dataclass
class _Prompt:
    text: str  # the chat template's text
    ids: list[int]
    prefix_len: int  # tokens up to and including the last image token
    image_tokens: int


class Runtime:
    """Model + processor + prefix cache; answers run one at a time on the runtime's decode thread."""

    def __init__(self, model, processor, *, device_name: str, precision: str, noise: bool, cache: PrefixCache):
        self.model = model
        self.processor = processor
        self.tokenizer = processor.tokenizer
        self.device_name = device_name
        self.precision = precision
        self.noise = noise
        self.cache = cache
        text_config = model.config.get_text_config()
        heads = int(text_config.num_attention_heads)
        # KV cache bytes per token: layers x KV heads x head size x 2 (K and V) x bytes per value
        self.kv_geometry = {
            "layers": int(text_config.num_hidden_layers),
            "heads": int(getattr(text_config, "num_key_value_heads", None) or heads),
            "dim": int(getattr(text_config, "head_dim", None) or text_config.hidden_size // heads),
            "bytes": 2 if "bf16" in precision or "fp16" in precision or "4-bit" in precision else 4,
        }
        self.max_positions = int(text_config.max_position_embeddings)
        self.vocab_size = int(text_config.vocab_size)
        self.prompts = PromptBuilder(processor)
        eos = model.generation_config.eos_token_id if model.generation_config else None
        self.model_stop_ids = set(eos if isinstance(eos, (list, tuple)) else [eos] if eos is not None else [])
        self.hidden_ids = _hidden_token_ids(self.tokenizer)
        # transformers renamed past_key_values to cache (5.2x); a GPU image may hold an older release
        self._cache_kw = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
        # parameters never need gradients: no step can build a graph, whatever mode a thread is in
        model.requires_grad_(False)
        self._worker = DecodeThread()
        # observations for tests and benchmarks
        self.last_prefill_tokens = 0
        self.last_generated: list[int] = []
        self.record_logits = False
        self.last_logits: list[torch.Tensor] = []

    # --- loading -------------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str, *, load_in_4bit: bool = False, device: str | None = None, cache_gb: float = 4.0,
             cache_enabled: bool = True, progress: Callable[[Message, float], None] = lambda step, frac: None
             ) -> Runtime:
        from transformers import AutoModelForImageTextToText, AutoProcessor
        from transformers.utils import logging as hf_logging

        from glyph_web.engine.tiny import is_tiny

        hf_logging.disable_progress_bar()  # our own state reports progress; bars would garble CLI output

        cuda = torch.cuda.is_available() and device != "cpu"
        progress(Message("engine.step_processor"), 0.1)
        processor = AutoProcessor.from_pretrained(path)
        kwargs: dict = {}
        if load_in_4bit:
            from transformers import BitsAndBytesConfig

            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=torch.bfloat16 if cuda else torch.float32)
            kwargs["device_map"] = "auto" if cuda else {"": "cpu"}
            precision = "4-bit NF4"
        else:
            kwargs["dtype"] = torch.bfloat16 if cuda else torch.float32
            if cuda:
                kwargs["device_map"] = "auto"
            precision = "bf16" if cuda else "fp32"
        progress(Message("engine.step_weights"), 0.3)
        model = AutoModelForImageTextToText.from_pretrained(path, **kwargs).eval()
        progress(Message("engine.step_ready"), 1.0)
        device_name = torch.cuda.get_device_name(0) if cuda else "CPU"
        return cls(model, processor, device_name=device_name, precision=precision,
                   noise=Path(path).is_dir() and is_tiny(path),
                   cache=PrefixCache(int(cache_gb * 2**30), enabled=cache_enabled))

    def close(self) -> None:
        """Finish the answers already asked for, then free the model; later answers are refused."""
        self._worker.close()
        self.cache.clear()
        self.model = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def memory_gb(self) -> float | None:
        if torch.cuda.is_available():
            return round(torch.cuda.memory_allocated() / 2**30, 2)
        try:
            with open("/proc/self/statm") as f:
                return round(int(f.read().split()[1]) * 4096 / 2**30, 2)
        except OSError:
            return None

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    # --- the prompt ----------------------------------------------------------------------------------

    def _prompt(self, request: AnswerRequest, settings: GenerationSettings) -> _Prompt:
        """All ids of the conversation up to the new answer, from the model's template; no image work."""
        text = self.prompts.text(len(request.pages), request.question, request.history)
        counts = [self.prompts.visual_tokens(*img.size) for img in request.pages]
        ids = self.prompts.ids(text, counts)
        self._check_fits(len(ids), sum(counts), request, settings)
        return _Prompt(text=text, ids=ids, prefix_len=self.prompts.prefix_length(ids), image_tokens=sum(counts))

    def _vision_inputs(self, prompt: _Prompt, request: AnswerRequest) -> tuple[_Prompt, dict]:
        """The processor's tensors for the pages (pixel values, grids, token types up to the last image)."""
        ids, mm = self.prompts.vision_inputs(prompt.text, request.pages)
        if ids != prompt.ids:  # cannot happen with the processors we know; theirs is the authority
            logger.warning("prompt ids differ from the processor's (%d vs %d tokens); using the processor's",
                           len(prompt.ids), len(ids))
            prompt = _Prompt(text=prompt.text, ids=ids, prefix_len=self.prompts.prefix_length(ids),
                             image_tokens=prompt.image_tokens)
        if "mm_token_type_ids" in mm:
            mm["mm_token_type_ids"] = mm["mm_token_type_ids"][:, :prompt.prefix_len]
        return prompt, mm

    def _check_fits(self, prompt_tokens: int, image_tokens: int, request: AnswerRequest,
                    settings: GenerationSettings) -> None:
        room = self.max_positions - settings.max_new_tokens
        if prompt_tokens <= room:
            return
        pages = max(1, len(request.pages))
        per_page = max(1, image_tokens // pages)
        text_tokens = prompt_tokens - image_tokens
        fit = max(0, (room - text_tokens) // per_page)
        if request.dpi:
            fits = Message("engine.page_fits_at_dpi" if fit == 1 else "engine.pages_fit_at_dpi", n=fit,
                           dpi=request.dpi)
        else:
            fits = Message("engine.page_fits" if fit == 1 else "engine.pages_fit", n=fit)
        raise ContextTooLongError("engine.context_too_long", tokens=prompt_tokens, pages=pages, visual=image_tokens,
                                  limit=self.max_positions, answer=settings.max_new_tokens, fit=fits)

    # --- decoding ------------------------------------------------------------------------------------

    def answer(self, request: AnswerRequest, settings: GenerationSettings,
               stop: threading.Event) -> Iterator[StreamEvent]:
        """Stream the answer; the work runs on the decode thread, whichever thread asks for the next event."""
        return self._worker.stream(lambda cancelled: self._answer(request, settings, cancelled), stop)

    def _answer(self, request: AnswerRequest, settings: GenerationSettings, stop) -> Iterator[StreamEvent]:
        started = time.perf_counter()
        if self.model is None:
            raise EngineError("engine.unloaded")
        if not request.pages:
            raise EngineError("engine.no_pages")
        if settings.max_new_tokens < 1:
            raise EngineError("engine.answer_limit")
        prompt = self._prompt(request, settings)
        if stop.is_set():  # stopped (or abandoned) while it waited for the device: no prefill for nothing
            usage = Usage(prompt_tokens=len(prompt.ids), visual_tokens=prompt.image_tokens, ttft_s=None,
                          total_s=time.perf_counter() - started, finish_reason="cancelled")
            yield StreamEvent("usage", usage=usage)
            yield StreamEvent("done", raw="", usage=usage)
            return
        model = self.model
        device = model.device
        # a match that ends inside the pages would need some images encoded again: read them all instead
        entry, shared = self.cache.best(request.pages_key, prompt.ids, min_shared=prompt.prefix_len)
        self.last_logits = []
        if entry is not None:
            kv = copy.deepcopy(entry.cache)
            _crop(kv, shared)
            rope_deltas = entry.rope_deltas
            model.model.rope_deltas = rope_deltas
            logits = self._forward(prompt.ids[shared:], kv, device)
            self.last_prefill_tokens = len(prompt.ids) - shared
        else:
            from transformers import DynamicCache

            prompt, mm = self._vision_inputs(prompt, request)
            kv = DynamicCache()
            model.model.rope_deltas = None
            mm = {k: v.to(device) for k, v in mm.items()}
            if "pixel_values" in mm:
                mm["pixel_values"] = mm["pixel_values"].to(model.dtype)
            self._forward(prompt.ids[:prompt.prefix_len], kv, device, **mm)
            rope_deltas = model.model.rope_deltas
            pages = prompt.ids[:prompt.prefix_len]
            self.cache.store(request.pages_key, CacheEntry(ids=tuple(pages), cache=copy.deepcopy(kv),
                                                           rope_deltas=rope_deltas, nbytes=_nbytes(kv),
                                                           prompt_len=len(pages), pages=True))
            logits = self._forward(prompt.ids[prompt.prefix_len:], kv, device)
            self.last_prefill_tokens = len(prompt.ids)
            shared = 0
        yield from self._decode(request, settings, stop, prompt, logits, kv, rope_deltas, shared, entry, started)

    def _forward(self, ids: list[int], kv, device, **mm) -> torch.Tensor:
        """Feed ids after what kv holds; the logits of the last position, (vocab,) float32."""
        input_ids = torch.tensor([ids], dtype=torch.long, device=device)
        out = self.model(input_ids=input_ids, use_cache=True, logits_to_keep=1, **{self._cache_kw: kv}, **mm)
        return out.logits[0, -1].float()

    def _decode(self, request, settings, stop, prompt, logits, kv, rope_deltas, shared, entry, started):
        device = self.model.device
        stop_ids = set() if settings.ignore_stop else (set(settings.stop_token_ids) | self.model_stop_ids)
        processors = _logits_processors(settings)
        generator = None
        if settings.seed is not None:
            generator = torch.Generator(device=logits.device).manual_seed(settings.seed)
        generated: list[int] = []
        shown: list[int] = []  # generated less the hidden special tokens
        ttft = None
        splitter = ThinkSplitter()
        prefix_offset = read_offset = 0
        finish = "length"
        history = torch.tensor([prompt.ids], dtype=torch.long, device=logits.device)
        while True:
            if self.record_logits:
                self.last_logits.append(logits.detach().cpu())
            token = self._sample(logits, history, processors, settings, generator)
            if ttft is None:
                ttft = time.perf_counter() - started
            if token in stop_ids:
                finish = "stop"
                break
            generated.append(token)
            history = torch.cat([history, torch.tensor([[token]], device=history.device)], dim=1)
            if token not in self.hidden_ids:
                shown.append(token)
                delta, prefix_offset, read_offset = _detok(self.tokenizer, shown, prefix_offset, read_offset)
                for kind, text in splitter.feed(delta):
                    yield StreamEvent(kind, text)
            if len(generated) >= settings.max_new_tokens:
                break
            if stop.is_set():
                finish = "cancelled"
                break
            self.model.model.rope_deltas = rope_deltas
            logits = self._forward([token], kv, device)
        for kind, text in splitter.flush():
            yield StreamEvent(kind, text)
        raw = self.tokenizer.decode(shown, skip_special_tokens=False)
        self.last_generated = generated
        fed = prompt.ids + (generated if finish == "stop" else generated[:-1])
        # the conversation this one grew from is dead once the new prompt took all of its prompt: the rest of it
        # is the raw answer (thinking included), which the template never renders again
        grew_from = entry if entry is not None and not entry.pages and shared >= entry.prompt_len else None
        self.cache.store(request.pages_key, CacheEntry(ids=tuple(fed), cache=kv, rope_deltas=rope_deltas,
                                                       nbytes=_nbytes(kv), prompt_len=len(prompt.ids)),
                         replaces=grew_from)
        usage = Usage(prompt_tokens=len(prompt.ids), visual_tokens=prompt.image_tokens,
                      completion_tokens=len(generated), cached_tokens=shared, ttft_s=ttft,
                      total_s=time.perf_counter() - started, finish_reason=finish)
        yield StreamEvent("usage", usage=usage)
        yield StreamEvent("done", raw=raw, usage=usage)

    def _sample(self, logits, history, processors, settings, generator) -> int:
        scores = logits.unsqueeze(0)
        if logits.shape[-1] > self.vocab_size:
            scores = scores[:, : self.vocab_size]
        for proc in processors:
            scores = proc(history, scores)
        if settings.temperature <= GREEDY_BELOW:
            return int(scores.argmax(-1))
        probs = torch.softmax(scores, dim=-1)
        return int(torch.multinomial(probs, 1, generator=generator))


# Temperatures this small sample the most likely token anyway, and dividing by them overflows the logits
# (1e-40 gave inf and then NaN probabilities): they are greedy decoding.
GREEDY_BELOW = 1e-4


def _logits_processors(settings: GenerationSettings) -> list:
    from transformers import RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper, TopPLogitsWarper

    out = []
    if settings.repetition_penalty and settings.repetition_penalty != 1.0:
        out.append(RepetitionPenaltyLogitsProcessor(settings.repetition_penalty))
    if settings.temperature > GREEDY_BELOW:
        out.append(TemperatureLogitsWarper(settings.temperature))
        if 0 < settings.top_p < 1:
            out.append(TopPLogitsWarper(settings.top_p))
    return out


def _hidden_token_ids(tokenizer) -> set[int]:
    """Ids never shown as text: the tokenizer's special tokens and any <|...|> markup token (GLM-V's
    <|begin_of_box|> is not always marked special), except the think/answer tags the splitter reads."""
    hidden = set(getattr(tokenizer, "all_special_ids", []) or [])
    for token_id, token in tokenizer.added_tokens_decoder.items():
        if token.special or _MARKUP.fullmatch(token.content):
            hidden.add(int(token_id))
    for tag in _SHOWN_TAGS:
        token_id = tokenizer.convert_tokens_to_ids(tag)
        if isinstance(token_id, int) and token_id != tokenizer.unk_token_id:
            hidden.discard(token_id)
    return hidden


def _detok(tokenizer, ids: list[int], prefix_offset: int, read_offset: int) -> tuple[str, int, int]:
    """The new text since read_offset, holding back an incomplete UTF-8 sequence (incremental detokenizer)."""
    before = tokenizer.decode(ids[prefix_offset:read_offset], skip_special_tokens=False)
    now = tokenizer.decode(ids[prefix_offset:], skip_special_tokens=False)
    if len(now) > len(before) and not now.endswith("\ufffd"):
        return now[len(before):], read_offset, len(ids)
    return "", prefix_offset, read_offset


def _crop(kv, length: int) -> None:
    extra = kv.get_seq_length() - length
    if extra > 0:
        kv.crop(-extra)


def _nbytes(kv) -> int:
    total = 0
    for layer in getattr(kv, "layers", []):
        for tensor in (getattr(layer, "keys", None), getattr(layer, "values", None)):
            if tensor is not None:
                total += tensor.numel() * tensor.element_size()
    return total
