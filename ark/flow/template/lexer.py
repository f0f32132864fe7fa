"""Lexer: a port of Go's ``text/template/parse/lex.go`` (same tokens, trim markers and errors).

The whole input is tokenised up front. A lexical error becomes a final ``ERROR`` token
instead of an exception, so the parser reports errors in source order, as Go does.
Positions are character offsets into the source.
"""

from __future__ import annotations

import enum
import unicodedata
from typing import NamedTuple

from .strconv import go_quote


class Tok(enum.IntEnum):
    """Token types (Go's ``itemType``); keywords come after ``KEYWORD``."""

    ERROR = 0
    BOOL = enum.auto()
    CHAR = enum.auto()  # printable ASCII character not otherwise used, e.g. ','
    CHAR_CONSTANT = enum.auto()
    COMPLEX = enum.auto()
    ASSIGN = enum.auto()
    DECLARE = enum.auto()
    EOF = enum.auto()
    FIELD = enum.auto()
    IDENTIFIER = enum.auto()
    LEFT_DELIM = enum.auto()
    LEFT_PAREN = enum.auto()
    NUMBER = enum.auto()
    PIPE = enum.auto()
    RAW_STRING = enum.auto()
    RIGHT_DELIM = enum.auto()
    RIGHT_PAREN = enum.auto()
    SPACE = enum.auto()
    STRING = enum.auto()
    TEXT = enum.auto()
    VARIABLE = enum.auto()
    KEYWORD = enum.auto()
    BLOCK = enum.auto()
    BREAK = enum.auto()
    CONTINUE = enum.auto()
    DOT = enum.auto()
    DEFINE = enum.auto()
    ELSE = enum.auto()
    END = enum.auto()
    IF = enum.auto()
    NIL = enum.auto()
    RANGE = enum.auto()
    TEMPLATE = enum.auto()
    WITH = enum.auto()


KEYWORDS: dict[str, Tok] = {
    ".": Tok.DOT,
    "block": Tok.BLOCK,
    "break": Tok.BREAK,
    "continue": Tok.CONTINUE,
    "define": Tok.DEFINE,
    "else": Tok.ELSE,
    "end": Tok.END,
    "if": Tok.IF,
    "range": Tok.RANGE,
    "nil": Tok.NIL,
    "template": Tok.TEMPLATE,
    "with": Tok.WITH,
}


class Token(NamedTuple):
    """One token: type, character offset of its start, and its text (or error message)."""

    typ: Tok
    pos: int
    val: str

    def __str__(self) -> str:
        """Go's ``item.String()``, used in "unexpected X" messages."""
        if self.typ == Tok.EOF:
            return "EOF"
        if self.typ == Tok.ERROR:
            return self.val
        if self.typ > Tok.KEYWORD:
            return f"<{self.val}>"
        if len(self.val) > 10:
            return go_quote(self.val[:10]) + "..."
        return go_quote(self.val)


LEFT_DELIM = "{{"
RIGHT_DELIM = "}}"
LEFT_COMMENT = "/*"
RIGHT_COMMENT = "*/"
SPACE_CHARS = " \t\r\n"
_TERMINATORS = frozenset(" \t\r\n.,|:)(")


def is_alnum(ch: str) -> bool:
    """Go's ``isAlphaNumeric``: underscore, Unicode letter or decimal digit."""
    if ch == "":
        return False
    if ch < "\x80":
        return ch == "_" or ch.isalnum()
    return ch.isalpha() or unicodedata.category(ch) == "Nd"


def _has_left_trim(s: str, i: int) -> bool:
    return i + 1 < len(s) and s[i] == "-" and s[i + 1] in SPACE_CHARS


def _has_right_trim(s: str, i: int) -> bool:
    return i + 1 < len(s) and s[i] in SPACE_CHARS and s[i + 1] == "-"


class _Lexer:
    """State of one tokenisation; ``run()`` returns the token list ending in EOF or ERROR."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.n = len(src)
        self.pos = 0
        self.start = 0
        self.paren_depth = 0
        self.tokens: list[Token] = []

    # -- helpers ---------------------------------------------------------------
    def peek(self) -> str:
        return self.src[self.pos] if self.pos < self.n else ""

    def emit(self, typ: Tok) -> None:
        self.tokens.append(Token(typ, self.start, self.src[self.start : self.pos]))
        self.start = self.pos

    def error(self, message: str) -> bool:
        """Append an ERROR token at the current item start; returns False to stop lexing."""
        self.tokens.append(Token(Tok.ERROR, self.start, message))
        return False

    def at_right_delim(self) -> tuple[bool, bool]:
        """(at a right delimiter, it carries a trim marker)."""
        s, p = self.src, self.pos
        if _has_right_trim(s, p) and s.startswith(RIGHT_DELIM, p + 2):
            return True, True
        if s.startswith(RIGHT_DELIM, p):
            return True, False
        return False, False

    def at_terminator(self) -> bool:
        ch = self.peek()
        if ch == "" or ch in _TERMINATORS:
            return True
        return self.src.startswith(RIGHT_DELIM, self.pos)

    # -- driver ----------------------------------------------------------------
    def run(self) -> list[Token]:
        more = True
        while more:
            more = self.lex_text()
        return self.tokens

    def lex_text(self) -> bool:
        """Text up to the next ``{{``; then the action. Returns False at EOF or error."""
        src = self.src
        x = src.find(LEFT_DELIM, self.pos)
        if x < 0:
            self.pos = self.n
            if self.pos > self.start:
                self.emit(Tok.TEXT)
            self.emit(Tok.EOF)
            return False
        if x > self.pos:
            self.pos = x
            end = x
            if _has_left_trim(src, x + len(LEFT_DELIM)):
                end = len(src[self.start : x].rstrip(SPACE_CHARS)) + self.start
            if end > self.start:
                self.tokens.append(Token(Tok.TEXT, self.start, src[self.start : end]))
            self.start = x
        return self.lex_left_delim()

    def lex_left_delim(self) -> bool:
        src = self.src
        self.pos += len(LEFT_DELIM)
        trim = _has_left_trim(src, self.pos)
        after = 2 if trim else 0
        if src.startswith(LEFT_COMMENT, self.pos + after):
            self.pos += after
            self.start = self.pos
            return self.lex_comment()
        self.emit(Tok.LEFT_DELIM)
        self.pos += after
        self.start = self.pos
        self.paren_depth = 0
        return self.lex_inside_action()

    def lex_comment(self) -> bool:
        src = self.src
        self.pos += len(LEFT_COMMENT)
        x = src.find(RIGHT_COMMENT, self.pos)
        if x < 0:
            return self.error("unclosed comment")
        self.pos = x + len(RIGHT_COMMENT)
        delim, trim = self.at_right_delim()
        if not delim:
            return self.error("comment ends before closing delimiter")
        if trim:
            self.pos += 2
        self.pos += len(RIGHT_DELIM)
        if trim:
            while self.pos < self.n and src[self.pos] in SPACE_CHARS:
                self.pos += 1
        self.start = self.pos
        return True

    def lex_right_delim(self, trim: bool) -> bool:
        if trim:
            self.pos += 2
            self.start = self.pos
        self.pos += len(RIGHT_DELIM)
        self.emit(Tok.RIGHT_DELIM)
        if trim:
            src = self.src
            while self.pos < self.n and src[self.pos] in SPACE_CHARS:
                self.pos += 1
            self.start = self.pos
        return True

    def lex_inside_action(self) -> bool:
        """Tokens inside ``{{ }}`` up to and including the right delimiter."""
        src = self.src
        while True:
            delim, trim = self.at_right_delim()
            if delim:
                if self.paren_depth == 0:
                    return self.lex_right_delim(trim)
                return self.error("unclosed left paren")
            if self.pos >= self.n:
                return self.error("unclosed action")
            ch = src[self.pos]
            self.pos += 1
            if ch in SPACE_CHARS:
                self.pos -= 1
                self.lex_space()
            elif ch == "=":
                self.emit(Tok.ASSIGN)
            elif ch == ":":
                if self.peek() != "=":
                    return self.error("expected :=")
                self.pos += 1
                self.emit(Tok.DECLARE)
            elif ch == "|":
                self.emit(Tok.PIPE)
            elif ch == '"':
                if not self.lex_quote():
                    return False
            elif ch == "`":
                if not self.lex_raw_quote():
                    return False
            elif ch == "$":
                if not self.lex_variable():
                    return False
            elif ch == "'":
                if not self.lex_char():
                    return False
            elif ch == "." and self.pos < self.n and not ("0" <= src[self.pos] <= "9"):
                if not self.lex_field_or_variable(Tok.FIELD):
                    return False
            elif ch in "+-." or "0" <= ch <= "9":
                self.pos -= 1
                if not self.lex_number():
                    return False
            elif is_alnum(ch):
                self.pos -= 1
                if not self.lex_identifier():
                    return False
            elif ch == "(":
                self.paren_depth += 1
                self.emit(Tok.LEFT_PAREN)
            elif ch == ")":
                self.paren_depth -= 1
                if self.paren_depth < 0:
                    return self.error("unexpected right paren")
                self.emit(Tok.RIGHT_PAREN)
            elif ch < "\x80" and ch.isprintable():
                self.emit(Tok.CHAR)
            else:
                return self.error(f"unrecognized character in action: {_unicode_repr(ch)}")

    def lex_space(self) -> None:
        """A run of spaces, leaving out the space that belongs to a trim-marked `` -}}``."""
        src = self.src
        while self.pos < self.n and src[self.pos] in SPACE_CHARS:
            self.pos += 1
        if _has_right_trim(src, self.pos - 1) and src.startswith(RIGHT_DELIM, self.pos + 1):
            self.pos -= 1
        if self.pos > self.start:
            self.emit(Tok.SPACE)

    def lex_identifier(self) -> bool:
        src = self.src
        while self.pos < self.n and is_alnum(src[self.pos]):
            self.pos += 1
        if not self.at_terminator():
            return self._bad_char()
        word = src[self.start : self.pos]
        kw = KEYWORDS.get(word)
        if kw is not None:
            self.emit(kw)
        elif word in ("true", "false"):
            self.emit(Tok.BOOL)
        else:
            self.emit(Tok.IDENTIFIER)
        return True

    def lex_variable(self) -> bool:
        if self.at_terminator():
            self.emit(Tok.VARIABLE)
            return True
        return self.lex_field_or_variable(Tok.VARIABLE)

    def lex_field_or_variable(self, typ: Tok) -> bool:
        if self.at_terminator():
            self.emit(Tok.VARIABLE if typ == Tok.VARIABLE else Tok.DOT)
            return True
        src = self.src
        while self.pos < self.n and is_alnum(src[self.pos]):
            self.pos += 1
        if not self.at_terminator():
            return self._bad_char()
        self.emit(typ)
        return True

    def _bad_char(self) -> bool:
        return self.error(f"bad character {_unicode_repr(self.peek())}")

    def lex_char(self) -> bool:
        return self._lex_escaped("'", Tok.CHAR_CONSTANT, "unterminated character constant")

    def lex_quote(self) -> bool:
        return self._lex_escaped('"', Tok.STRING, "unterminated quoted string")

    def _lex_escaped(self, close: str, typ: Tok, unterminated: str) -> bool:
        """Scan to ``close``, skipping backslash escapes; a newline or the end is an error."""
        src = self.src
        while True:
            ch = src[self.pos] if self.pos < self.n else ""
            self.pos += 1
            if ch == "\\":
                nxt = src[self.pos] if self.pos < self.n else ""
                self.pos += 1
                if nxt not in ("", "\n"):
                    continue
                return self.error(unterminated)
            if ch in ("", "\n"):
                return self.error(unterminated)
            if ch == close:
                self.emit(typ)
                return True

    def lex_raw_quote(self) -> bool:
        x = self.src.find("`", self.pos)
        if x < 0:
            return self.error("unterminated raw quoted string")
        self.pos = x + 1
        self.emit(Tok.RAW_STRING)
        return True

    def lex_number(self) -> bool:
        if not self.scan_number():
            return self.error(f"bad number syntax: {go_quote(self.src[self.start : self.pos])}")
        sign = self.peek()
        if sign in ("+", "-"):
            if not self.scan_number() or self.src[self.pos - 1] != "i":
                return self.error(f"bad number syntax: {go_quote(self.src[self.start : self.pos])}")
            self.emit(Tok.COMPLEX)
            return True
        self.emit(Tok.NUMBER)
        return True

    def _accept(self, valid: str) -> bool:
        if self.pos < self.n and self.src[self.pos] in valid:
            self.pos += 1
            return True
        return False

    def _accept_run(self, valid: str) -> None:
        while self.pos < self.n and self.src[self.pos] in valid:
            self.pos += 1

    def scan_number(self) -> bool:
        self._accept("+-")
        digits = "0123456789_"
        if self._accept("0"):
            if self._accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self._accept("oO"):
                digits = "01234567_"
            elif self._accept("bB"):
                digits = "01_"
        self._accept_run(digits)
        if self._accept("."):
            self._accept_run(digits)
        if len(digits) == 11 and self._accept("eE"):
            self._accept("+-")
            self._accept_run("0123456789_")
        if len(digits) == 23 and self._accept("pP"):
            self._accept("+-")
            self._accept_run("0123456789_")
        self._accept("i")
        if is_alnum(self.peek()):
            self.pos += 1
            return False
        return True


def _unicode_repr(ch: str) -> str:
    """Go's ``%#U``: ``U+0023 '#'``."""
    o = ord(ch)
    if ch.isprintable():
        return f"U+{o:04X} '{ch}'"
    return f"U+{o:04X}"


def lex(src: str) -> list[Token]:
    """Tokenise ``src``; the last token is EOF, or ERROR with the message in ``val``."""
    return _Lexer(src).run()
