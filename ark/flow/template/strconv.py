"""Go string literals: quoting (``strconv.Quote`` and friends) and unquoting template literals."""

from __future__ import annotations

_SIMPLE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}
_UNESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}
_HEX = "0123456789abcdefABCDEF"


def quote_rune_body(ch: str, quote: str, ascii_only: bool = False) -> str:
    """One rune as it appears inside a Go quoted literal delimited by ``quote``."""
    if ch == quote or ch == "\\":
        return "\\" + ch
    o = ord(ch)
    if (o < 0x80 or not ascii_only) and ch.isprintable():
        return ch
    esc = _SIMPLE_ESCAPES.get(ch)
    if esc is not None:
        return esc
    if o < 0x20 or o == 0x7F:
        return f"\\x{o:02x}"
    if 0xD800 <= o <= 0xDFFF:
        return "\\ufffd"
    if o < 0x10000:
        return f"\\u{o:04x}"
    return f"\\U{o:08x}"


def go_quote(s: str, ascii_only: bool = False) -> str:
    """``strconv.Quote`` (or ``QuoteToASCII``): a double-quoted Go string literal."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return f'"{s}"'
    return '"' + "".join(quote_rune_body(ch, '"', ascii_only) for ch in s) + '"'


def go_quote_rune(ch: str, ascii_only: bool = False) -> str:
    """``strconv.QuoteRune``: a single-quoted Go character literal."""
    return "'" + quote_rune_body(ch, "'", ascii_only) + "'"


def can_backquote(s: str) -> bool:
    """``strconv.CanBackquote``: no backquote and no control character other than tab."""
    for ch in s:
        if ch == "`" or ch == "\ufeff":
            return False
        o = ord(ch)
        if (o < 0x20 and ch != "\t") or o == 0x7F:
            return False
    return True


class UnquoteError(ValueError):
    """The literal is not valid Go syntax."""


def _unquote_char(body: str, i: int, quote: str) -> tuple[int, bool, int]:
    """Decode one (possibly escaped) character at ``body[i]``.

    Returns (value, is_byte, next index). ``is_byte`` marks ``\\x``/octal escapes, which
    in Go denote raw bytes rather than runes.
    """
    ch = body[i]
    if ch != "\\":
        if ch == quote:
            raise UnquoteError("invalid syntax")
        return ord(ch), False, i + 1
    if i + 1 >= len(body):
        raise UnquoteError("invalid syntax")
    c = body[i + 1]
    if c in _UNESCAPES:
        return _UNESCAPES[c], False, i + 2
    if c == quote and quote in "'\"":
        return ord(c), False, i + 2
    if c in "xuU":
        size = {"x": 2, "u": 4, "U": 8}[c]
        digits = body[i + 2 : i + 2 + size]
        if len(digits) != size or any(d not in _HEX for d in digits):
            raise UnquoteError("invalid syntax")
        v = int(digits, 16)
        if c == "x":
            return v, True, i + 2 + size
        if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
            raise UnquoteError("invalid syntax")
        return v, False, i + 2 + size
    if "0" <= c <= "7":
        digits = body[i + 1 : i + 4]
        if len(digits) != 3 or any(not ("0" <= d <= "7") for d in digits):
            raise UnquoteError("invalid syntax")
        v = int(digits, 8)
        if v > 255:
            raise UnquoteError("invalid syntax")
        return v, True, i + 4
    raise UnquoteError("invalid syntax")


def unquote(literal: str) -> str:
    """``strconv.Unquote`` for a double-quoted or backquoted literal (quotes included)."""
    if len(literal) < 2 or literal[0] != literal[-1] or literal[0] not in '"`':
        raise UnquoteError("invalid syntax")
    body = literal[1:-1]
    if literal[0] == "`":
        if "`" in body:
            raise UnquoteError("invalid syntax")
        return body.replace("\r", "")
    if "\\" not in body:
        if '"' in body or "\n" in body:
            raise UnquoteError("invalid syntax")
        return body
    out = bytearray()
    i = 0
    while i < len(body):
        if body[i] == "\n":
            raise UnquoteError("invalid syntax")
        value, is_byte, i = _unquote_char(body, i, '"')
        if is_byte:
            out.append(value)
        else:
            out.extend(chr(value).encode("utf-8", "surrogatepass"))
    return out.decode("utf-8", "replace")


def unquote_char_literal(literal: str) -> int:
    """The code point of a Go character constant such as ``'a'`` or ``'\\n'``."""
    body = literal[1:-1] if len(literal) >= 2 and literal[-1] == "'" else literal[1:]
    if not body:
        raise UnquoteError(f"malformed character constant: {literal}")
    value, _, end = _unquote_char(body, 0, "'")
    if end != len(body) or literal[-1] != "'" or len(literal) < 3:
        raise UnquoteError(f"malformed character constant: {literal}")
    return value
