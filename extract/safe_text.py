"""Text from files, URLs and articles made safe to print on a terminal or in a log."""

from __future__ import annotations

import unicodedata


def printable(text: object) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\x9b``,
    ``\\u202e``) so that a file name, URL or article cannot drive the terminal it is printed on:
    C0 and C1 controls (ESC and CSI included; newline too, tab is left), format characters such as
    bidirectional overrides, lone surrogates from undecodable file names, private-use and
    unassigned code points (Unicode category C)."""
    text = str(text)
    if all(_plain(c) for c in text):
        return text
    return "".join(c if _plain(c) else _escape(c) for c in text)


def _plain(char: str) -> bool:
    return char == "\t" or unicodedata.category(char)[0] != "C"


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
