"""Prompts from the model's own chat template, whatever GLM-V template the checkpoint ships.

The whole conversation goes through the loaded processor's `apply_chat_template`: one user turn with one image
entry per page in page order and then the first question, earlier turns as user/assistant messages whose
assistant content is the visible answer only (stream.history_turns), no system prompt. The token ids are then
what the processor gives for that text and those pages: each image placeholder expanded to the page's number
of visual tokens, then the tokenizer. The expansion is done here from the page sizes, so a follow-up gets its
exact ids without the image processor; the processor itself runs only when the vision encoder needs pixels.
"""

from __future__ import annotations

import re

from glyph_web.errors import EngineError
from glyph_web.stream import history_turns


def conversation_messages(pages: int, question: str, history=()) -> list[dict]:
    """The chat messages of a question about `pages` page images after the turns in `history`."""
    turns = [*history_turns(history), (question, None)]
    messages: list[dict] = []
    for index, (asked, answer) in enumerate(turns):
        images = [{"type": "image"} for _ in range(pages)] if index == 0 else []
        messages.append({"role": "user", "content": [*images, {"type": "text", "text": asked}]})
        if answer is not None:
            messages.append({"role": "assistant", "content": answer})
    return messages


class PromptBuilder:
    """Token ids of a conversation about page images, by the processor's template and tokenizer."""

    def __init__(self, processor):
        self.processor = processor
        self.tokenizer = processor.tokenizer
        self.image_token = getattr(processor, "image_token", None) or "<|image|>"
        self.image_token_id = self.tokenizer.convert_tokens_to_ids(self.image_token)
        if getattr(processor, "chat_template", None) is None and getattr(self.tokenizer, "chat_template", None) is None:
            raise EngineError("engine.no_chat_template")
        # Text a person typed must stay text: a question holding "<|user|>" or "<|image|>" would otherwise become
        # the special token (a forged turn, or an image placeholder without an image).
        added = sorted({tok.content for tok in self.tokenizer.added_tokens_decoder.values() if len(tok.content) > 1},
                       key=len, reverse=True)
        self._special_text = re.compile("|".join(map(re.escape, added))) if added else None
        bos = getattr(self.tokenizer, "bos_token", None)
        self._bos = bos if isinstance(bos, str) and bos else None
        self._tokens_by_size: dict[tuple[int, int], int] = {}

    # --- text ----------------------------------------------------------------------------------------

    def defuse(self, text: str) -> str:
        """User text with any special token's spelling broken by a zero-width space (it stays readable)."""
        if self._special_text is None:
            return text
        return self._special_text.sub(lambda m: m.group(0)[0] + "\u200b" + m.group(0)[1:], text)

    def text(self, pages: int, question: str, history=()) -> str:
        """The chat template's text for the conversation, ending with the generation prompt."""
        messages = conversation_messages(pages, self.defuse(question),
                                         tuple((self.defuse(q), a) for q, a in history))
        for message in messages:
            if message["role"] == "assistant":
                message["content"] = self.defuse(message["content"])
        return self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)

    def add_special_tokens(self, text: str) -> bool:
        """As the processor tokenizes (its default), except that a template which already writes the tokenizer's
        BOS does not get a second one (transformers' own rule when it tokenizes a chat)."""
        return not (self._bos and text.startswith(self._bos))

    # --- ids -----------------------------------------------------------------------------------------

    def visual_tokens(self, width: int, height: int) -> int:
        """The number of image tokens the processor gives a page of this size (its own arithmetic)."""
        size = (int(width), int(height))
        count = self._tokens_by_size.get(size)
        if count is None:
            image_processor = self.processor.image_processor
            merge = int(getattr(image_processor, "merge_size", 2) or 2)
            count = int(image_processor.get_number_of_image_patches(size[1], size[0], {})) // (merge * merge)
            if len(self._tokens_by_size) < 4096:  # page sizes repeat; a bound all the same
                self._tokens_by_size[size] = count
        return count

    def ids(self, text: str, image_tokens: list[int]) -> list[int]:
        """The processor's input ids for `text` with images of these token counts, without the image work."""
        parts = text.split(self.image_token)
        if len(parts) - 1 != len(image_tokens):
            raise EngineError("engine.template_placeholders", placeholders=len(parts) - 1, pages=len(image_tokens))
        expanded = parts[0] + "".join(self.image_token * n + part for n, part in zip(image_tokens, parts[1:]))
        return list(self.tokenizer(expanded, add_special_tokens=self.add_special_tokens(text))["input_ids"])

    def vision_inputs(self, text: str, pages: list) -> tuple[list[int], dict]:
        """The processor's output for the text and the pages: (input ids, the tensors the model reads)."""
        out = dict(self.processor(text=[text], images=list(pages), return_tensors="pt",
                                  add_special_tokens=self.add_special_tokens(text)))
        ids = out.pop("input_ids")[0].tolist()
        out.pop("attention_mask", None)
        return ids, out

    def prefix_length(self, ids: list[int]) -> int:
        """Tokens up to and including the last image token: a cache match shorter than this needs the vision
        encoder again, so it counts as a miss."""
        for index in range(len(ids) - 1, -1, -1):
            if ids[index] == self.image_token_id:
                return index + 1
        return 0

