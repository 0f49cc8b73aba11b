"""Sentences of an article, with their offsets, in bounded pieces.

razdel splits each line (headings and list items are never merged with the text after them).
Real sentences in news run to a few hundred characters; a longer "sentence" is a table, a list
without full stops or hostile input, and it is cut at spaces into pieces of at most
:data:`MAX_SENTENCE` characters, so that every later step works on bounded pieces and the time
to read an article grows linearly with its length.
"""

from __future__ import annotations

import re

from razdel import sentenize

from extract.facts.model import Sentence

MAX_SENTENCE = 1_000
"""The longest piece handed to the rules, in characters."""
MAX_LINE = 5_000
"""razdel sees at most this much text at once (it slows down on long runs of punctuation)."""


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with their offsets in ``text``; lines are never merged."""
    sentences: list[Sentence] = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            for chunk_start, chunk in _pieces(line, MAX_LINE):
                for part in sentenize(chunk):
                    for piece_start, piece in _pieces(part.text, MAX_SENTENCE):
                        start = offset + chunk_start + part.start + piece_start
                        sentences.append(Sentence(start, piece))
        offset += len(line) + 1
    return sentences


def _pieces(text: str, limit: int) -> list[tuple[int, str]]:
    """``text`` cut at spaces into pieces of at most ``limit`` characters, with their offsets."""
    if len(text) <= limit:
        return [(0, text)]
    pieces: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(start + limit, len(text))
        if end < len(text):
            space = text.rfind(" ", start + limit // 2, end)
            end = space + 1 if space > start else end
        pieces.append((start, text[start:end]))
        start = end
    return pieces


def blank(pattern: re.Pattern[str], text: str) -> str:
    """``text`` with ``pattern``'s matches replaced by spaces, so offsets stay valid."""
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


__all__ = ["MAX_LINE", "MAX_SENTENCE", "blank", "split_sentences"]
