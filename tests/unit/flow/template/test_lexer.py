"""The lexer: tokens, positions, trim markers and comments, as Go's lex.go produces them."""

from __future__ import annotations

import pytest

from ark.flow.template.lexer import Tok, Token, lex


def kinds(src: str) -> list[tuple[str, str]]:
    return [(t.typ.name, t.val) for t in lex(src)]


def test_text_and_action_tokens() -> None:
    assert kinds('a {{ .x.y | printf "%d" 3 }} b') == [
        ("TEXT", "a "),
        ("LEFT_DELIM", "{{"),
        ("SPACE", " "),
        ("FIELD", ".x"),
        ("FIELD", ".y"),
        ("SPACE", " "),
        ("PIPE", "|"),
        ("SPACE", " "),
        ("IDENTIFIER", "printf"),
        ("SPACE", " "),
        ("STRING", '"%d"'),
        ("SPACE", " "),
        ("NUMBER", "3"),
        ("SPACE", " "),
        ("RIGHT_DELIM", "}}"),
        ("TEXT", " b"),
        ("EOF", ""),
    ]


def test_keywords_variables_and_literals() -> None:
    toks = kinds("{{range $i, $e := .}}{{else}}{{end}}{{ true nil 'x' `r` ( ) $ = }}")
    assert ("RANGE", "range") in toks
    assert ("VARIABLE", "$i") in toks
    assert ("CHAR", ",") in toks
    assert ("DECLARE", ":=") in toks
    assert ("DOT", ".") in toks
    assert ("ELSE", "else") in toks
    assert ("END", "end") in toks
    assert ("BOOL", "true") in toks
    assert ("NIL", "nil") in toks
    assert ("CHAR_CONSTANT", "'x'") in toks
    assert ("RAW_STRING", "`r`") in toks
    assert ("LEFT_PAREN", "(") in toks
    assert ("RIGHT_PAREN", ")") in toks
    assert ("VARIABLE", "$") in toks
    assert ("ASSIGN", "=") in toks


def test_positions_are_character_offsets() -> None:
    toks = lex("é {{ .x }}")
    assert [(t.typ, t.pos) for t in toks[:4]] == [
        (Tok.TEXT, 0),
        (Tok.LEFT_DELIM, 2),
        (Tok.SPACE, 4),
        (Tok.FIELD, 5),
    ]


@pytest.mark.parametrize(
    ("src", "texts"),
    [
        ("a  {{- 1 }}", ["a"]),
        ("{{ 1 -}}  \n b", ["b"]),
        ("a \n{{- 1 -}}\n b", ["a", "b"]),
        ("a {{-1}} b", ["a ", " b"]),  # "{{-1" is the number -1, not a trim marker
        ("a {{- /* c */ -}} b", ["a", "b"]),
        ("a {{/* c */}} b", ["a ", " b"]),
        ("  {{- 1 }}", []),
    ],
)
def test_trim_markers(src: str, texts: list[str]) -> None:
    assert [t.val for t in lex(src) if t.typ == Tok.TEXT] == texts


def test_comment_is_dropped_and_text_after_it_kept() -> None:
    assert kinds("x{{/* a {{ b }} */}}y") == [("TEXT", "x"), ("TEXT", "y"), ("EOF", "")]


def test_lexical_error_ends_the_stream() -> None:
    toks = lex('ok {{ "open }} more {{ .x }}')
    assert toks[-1] == Token(Tok.ERROR, 6, "unterminated quoted string")


@pytest.mark.parametrize(
    ("tok", "shown"),
    [
        (Token(Tok.EOF, 0, ""), "EOF"),
        (Token(Tok.ERROR, 0, "boom"), "boom"),
        (Token(Tok.END, 0, "end"), "<end>"),
        (Token(Tok.CHAR, 0, ","), '","'),
        (Token(Tok.STRING, 0, '"a very long string"'), '"\\"a very lo"...'),
    ],
)
def test_token_display_matches_go(tok: Token, shown: str) -> None:
    assert str(tok) == shown
