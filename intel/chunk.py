"""Split article text into passages that keep sentence boundaries and character offsets (pure)."""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before whitespace
# and an upper-case letter, digit or quote; or at a paragraph break.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]?\s+(?=[A-Z0-9\"“‘(])|\n\s*\n")
_ABBREV = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Inc|Corp|Co|Ltd|Jr|Sr|U\.S|U\.K|No|vs|Gov|Sen|Rep|Gen|Jan|Feb|"
                     r"Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if _ABBREV.search(text[max(0, m.start() - 6) : m.start()]):
            continue
        _add(text, start, m.start(), spans)
        start = m.end()
    _add(text, start, len(text), spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def passage_spans(text: str, max_words: int = 110, min_words: int = 25) -> list[tuple[int, int]]:
    """Consecutive sentences grouped into passages of about `max_words` words.

    A passage never cuts a sentence; a paragraph break closes a passage once it holds
    `min_words`, so passages follow the article's own structure where it has one.
    """
    passages: list[tuple[int, int]] = []
    cur_start: int | None = None
    cur_end = 0
    words = 0
    for start, end in sentence_spans(text):
        n = len(text[start:end].split())
        paragraph_break = cur_start is not None and "\n\n" in text[cur_end:start]
        if cur_start is not None and (words + n > max_words or paragraph_break and words >= min_words):
            passages.append((cur_start, cur_end))
            cur_start, words = None, 0
        if cur_start is None:
            cur_start = start
        cur_end = end
        words += n
    if cur_start is not None:
        passages.append((cur_start, cur_end))
    return passages
