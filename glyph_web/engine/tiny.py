"""A tiny random-weight checkpoint of the real GLM-4.1V architecture, for tests and smoke demos.

It is built here, offline, and loads through the same Auto classes as zai-org/Glyph: a
`Glm4vForConditionalGeneration` with the 9B model's structure shrunk (2 text layers, 64 wide; 2 vision blocks),
a byte-level BPE tokenizer trained on a little text with GLM's special tokens at their real ids (the GLM-4
lineage: 151329 <|endoftext|> ... 151336 <|user|> ... 151343 <|image|>, 151344 <|video|>), a chat template of
the same shape as GLM-4.1V's, and a processor with the real Glm4v image and video processors. Linear layers are
at least 64 wide (in) and multiples of 32 (out), so that bitsandbytes 4-bit loading works on a CPU. Weights are
drawn with a large scale so that a wrong position or a wrong cache changes the tokens.

Its answers are noise; `TINY_MARKER` in the folder says so to every caller.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

logger = logging.getLogger(__name__)

TINY_MARKER = "glyph_web_tiny.json"
FIRST_SPECIAL_ID = 151329
VOCAB_SIZE = 151552  # GLM-4.1V's embedding rows
# GLM's special tokens in id order from 151329.
SPECIAL_TOKENS = [
    "<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>", "<|system|>", "<|user|>", "<|assistant|>",
    "<|observation|>", "<|begin_of_image|>", "<|end_of_image|>", "<|begin_of_video|>", "<|end_of_video|>",
    "<|image|>", "<|video|>", "<|begin_of_transcription|>", "<|end_of_transcription|>", "<|code_prefix|>",
    "<|code_middle|>", "<|code_suffix|>", "<think>", "</think>", "<tool_call>", "</tool_call>",
    "<tool_response>", "</tool_response>", "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>", "/nothink",
    "<|begin_of_box|>", "<|end_of_box|>",
]
# Same shape as GLM-4.1V's template: [gMASK]<sop>, role tokens followed by a newline, images as
# <|begin_of_image|><|image|><|end_of_image|> in the order given, and "<|assistant|>\n" to start an answer.
CHAT_TEMPLATE = (
    "[gMASK]<sop>"
    "{%- for m in messages -%}"
    "{%- if m.role == 'system' -%}<|system|>{{ '\\n' }}{{ m.content }}"
    "{%- elif m.role == 'user' -%}<|user|>{{ '\\n' }}"
    "{%- if m.content is string -%}{{ m.content }}{%- else -%}{%- for c in m.content -%}"
    "{%- if c.type == 'image' -%}<|begin_of_image|><|image|><|end_of_image|>"
    "{%- elif c.type == 'video' -%}<|begin_of_video|><|video|><|end_of_video|>"
    "{%- elif c.type == 'text' -%}{{ c.text }}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}"
    "{%- elif m.role == 'assistant' -%}<|assistant|>{{ '\\n' }}"
    "{%- if m.content is string -%}{{ m.content }}{%- else -%}"
    "{%- for c in m.content -%}{{ c.text }}{%- endfor -%}{%- endif -%}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}<|assistant|>{{ '\\n' }}{%- endif -%}"
)
# Text the tokenizer learns its merges from: enough for common English and Chinese pieces.
_CORPUS = [
    "The quick brown fox jumps over the lazy dog. Glyph reads long documents as rendered page images.",
    "What does the contract say about payment? The buyer pays within thirty days of delivery.",
    "Answer the question using the document. The report shows revenue, costs and the net result.",
    "Little Red Riding Hood walked through the forest to her grandmother's house with a basket.",
    "第一条 本合同由甲乙双方签订。第二条 付款期限为三十日。问题：文件中提到了什么？答案是：",
    "Numbers 0 1 2 3 4 5 6 7 8 9 10 100 2024 3.14 50% $1,250.00 and punctuation ; : ! ? ( ) [ ] { } - _ / \\",
]
TEXT = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
            num_key_value_heads=1, head_dim=32, max_position_embeddings=65536, vocab_size=VOCAB_SIZE,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5,
                             "mrope_section": [2, 3, 3]})  # sums to head_dim * 0.5 / 2
VISION = dict(depth=2, hidden_size=64, intermediate_size=128, num_heads=2, out_hidden_size=64, patch_size=14,
              spatial_merge_size=2, temporal_patch_size=2, image_size=336)
INIT_SCALE = 0.5  # large: wrong rope positions or a stale cache then change the greedy tokens


def build_tokenizer():
    """A byte-level BPE tokenizer with GLM's special tokens at their real ids."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    trainer_tok = Tokenizer(models.BPE())
    trainer_tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=600, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    trainer_tok.train_from_iterator(_CORPUS * 4, trainer)
    learned = json.loads(trainer_tok.to_str())["model"]
    vocab = dict(learned["vocab"])
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in learned["merges"]]
    # Rows up to the first special id: never produced by the merges, so text never maps to them; they decode
    # as " ~<id>", which keeps the tiny model's noise readable as noise.
    for index in range(len(vocab), FIRST_SPECIAL_ID):
        vocab[f"\u0120~{index}"] = index
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(SPECIAL_TOKENS)
    assert tok.token_to_id("<|endoftext|>") == FIRST_SPECIAL_ID and tok.token_to_id("<|image|>") == 151343
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>",
                                   padding_side="left", model_max_length=TEXT["max_position_embeddings"])


def make_tiny_model(folder: str | Path, seed: int = 0, chat_template: str | None = None) -> Path:
    """Write the checkpoint (config, weights, tokenizer, processor, chat template) into folder.

    `chat_template` replaces our own template (for example one of the GLM-V family's, to see the prompts a real
    checkpoint would get)."""
    import torch
    from transformers import (Glm4vConfig, Glm4vForConditionalGeneration, Glm4vImageProcessor, Glm4vProcessor,
                              Glm4vVideoProcessor, GenerationConfig)

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    ids = {name: tokenizer.convert_tokens_to_ids(name) for name in SPECIAL_TOKENS}
    config = Glm4vConfig(
        text_config=dict(TEXT, initializer_range=INIT_SCALE),
        vision_config=dict(VISION, initializer_range=INIT_SCALE),
        image_token_id=ids["<|image|>"], video_token_id=ids["<|video|>"],
        image_start_token_id=ids["<|begin_of_image|>"], image_end_token_id=ids["<|end_of_image|>"],
        video_start_token_id=ids["<|begin_of_video|>"], video_end_token_id=ids["<|end_of_video|>"],
    )
    torch.manual_seed(seed)
    model = Glm4vForConditionalGeneration(config).eval()
    model.generation_config = GenerationConfig(
        eos_token_id=[ids["<|endoftext|>"], ids["<|user|>"], ids["<|observation|>"]],
        pad_token_id=ids["<|endoftext|>"], do_sample=False)
    model.save_pretrained(folder)
    processor = Glm4vProcessor(image_processor=Glm4vImageProcessor(), tokenizer=tokenizer,
                               video_processor=Glm4vVideoProcessor(), chat_template=chat_template or CHAT_TEMPLATE)
    processor.save_pretrained(folder)
    (folder / TINY_MARKER).write_text(json.dumps({
        "what": "tiny random-weight GLM-4.1V checkpoint made by glyph-web; its answers are noise",
        "seed": seed}, indent=2))
    logger.info("tiny model written to %s", folder)
    return folder


def is_tiny(folder: str | Path) -> bool:
    """True for a checkpoint made by make_tiny_model (its answers are noise)."""
    return (Path(folder) / TINY_MARKER).is_file()
