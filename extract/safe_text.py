"""Text from files, URLs and articles made safe to print on a terminal or in a log."""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """``text`` with control characters (ESC, C1 codes, ...) shown as escapes: a file named
    ``"\\x1b[31m.txt"`` prints as ``\\x1b[31m.txt``, not as a colour change."""
    return "".join(
        ch if ch in "\t" or unicodedata.category(ch)[0] != "C" else _escape(ch) for ch in text
    )


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
