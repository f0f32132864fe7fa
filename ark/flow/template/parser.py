"""Parser: a port of Go's ``text/template/parse/parse.go`` producing a :class:`ListNode`.

Messages are Go's; every error carries the position of the offending token.
"""

from __future__ import annotations

import math
import re
from collections.abc import Container

from .errors import TemplateSyntaxError, line_col, location
from .lexer import Tok, Token, lex
from .nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    ElseNode,
    EndNode,
    FieldNode,
    IdentifierNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    StringNode,
    TextNode,
    VariableNode,
)
from .strconv import UnquoteError, go_quote, unquote, unquote_char_literal

MAX_DEPTH = 100
"""Maximum nesting of parentheses and control structures."""

_OPERAND_START = frozenset(
    {
        Tok.BOOL,
        Tok.CHAR_CONSTANT,
        Tok.COMPLEX,
        Tok.DOT,
        Tok.FIELD,
        Tok.IDENTIFIER,
        Tok.NUMBER,
        Tok.NIL,
        Tok.RAW_STRING,
        Tok.STRING,
        Tok.VARIABLE,
        Tok.LEFT_PAREN,
    }
)
_NOT_EXECUTABLE = (BoolNode, DotNode, NilNode, NumberNode, StringNode)
_LEGACY_OCTAL = re.compile(r"[+-]?0[0-7_]+")
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def _is_float_syntax(text: str) -> bool:
    """Go's ``idealConstant`` rule: the literal is a float unless it looks like an integer."""
    is_hex_int = len(text) > 2 and text[0] == "0" and text[1] in "xX" and not any(c in text for c in "pP")
    return not is_hex_int and any(c in text for c in ".eEpP")


def parse_number(text: str) -> int | float:
    """The value of a Go numeric literal, typed as Go's ``idealConstant`` would; raises
    ValueError with Go's message."""
    try:
        ivalue: int | None = int(text, 8) if _LEGACY_OCTAL.fullmatch(text) else int(text, 0)
    except ValueError:
        ivalue = None
    if ivalue is not None:
        if not _INT64_MIN <= ivalue <= _INT64_MAX:
            raise ValueError(f"integer overflow: {go_quote(text)}")
        return float(ivalue) if _is_float_syntax(text) else ivalue
    if not any(c in text for c in ".eEpP"):
        raise ValueError(f"illegal number syntax: {go_quote(text)}")
    hex_float = text.lstrip("+-")[:2] in ("0x", "0X")
    if hex_float and "p" not in text and "P" not in text:  # Go requires the p exponent
        raise ValueError(f"illegal number syntax: {go_quote(text)}")
    try:
        value = float.fromhex(text.replace("_", "")) if hex_float else float(text)
    except ValueError:
        raise ValueError(f"illegal number syntax: {go_quote(text)}") from None
    if math.isinf(value) or math.isnan(value):
        raise ValueError(f"illegal number syntax: {go_quote(text)}")
    return value


class _Parser:
    """One parse of one source string."""

    def __init__(self, src: str, name: str, funcs: Container[str]) -> None:
        self.src = src
        self.name = name
        self.funcs = funcs
        self.tokens = lex(src)
        self.last = len(self.tokens) - 1
        self.i = 0
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.depth = 0
        self.action_pos = -1

    # -- token stream ------------------------------------------------------------
    def next(self) -> Token:
        tok = self.tokens[min(self.i, self.last)]
        self.i += 1
        return tok

    def backup(self) -> None:
        self.i -= 1

    def peek(self) -> Token:
        return self.tokens[min(self.i, self.last)]

    def next_non_space(self) -> Token:
        tok = self.next()
        while tok.typ == Tok.SPACE:
            tok = self.next()
        return tok

    def peek_non_space(self) -> Token:
        tok = self.next_non_space()
        self.backup()
        return tok

    # -- errors ------------------------------------------------------------------
    def error(self, message: str, pos: int) -> TemplateSyntaxError:
        line, col = line_col(self.src, pos)
        return TemplateSyntaxError(message, line, col, self.name)

    def unexpected(self, tok: Token, context: str) -> TemplateSyntaxError:
        if tok.typ == Tok.ERROR:
            extra = ""
            if self.action_pos >= 0:
                a_line, a_col = line_col(self.src, self.action_pos)
                if a_line != line_col(self.src, tok.pos)[0]:
                    extra = f" in action started at {location(self.name, a_line, a_col)}"
                    if tok.val.endswith(" action"):
                        extra = extra[len(" in action") :]
            return self.error(tok.val + extra, tok.pos)
        return self.error(f"unexpected {tok} in {context}", tok.pos)

    def expect(self, typ: Tok, context: str) -> Token:
        tok = self.next_non_space()
        if tok.typ != typ:
            raise self.unexpected(tok, context)
        return tok

    def enter(self, pos: int, what: str) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"max {what} depth exceeded", pos)

    # -- grammar -----------------------------------------------------------------
    def parse(self) -> ListNode:
        root = ListNode(self.peek().pos)
        while self.peek().typ != Tok.EOF:
            node = self.text_or_action()
            if isinstance(node, (EndNode, ElseNode)):
                raise self.error(f"unexpected {node}", node.pos)
            root.nodes.append(node)
        return root

    def item_list(self) -> tuple[ListNode, Node]:
        """Nodes up to the next ``{{end}}`` or ``{{else}}``, which is returned separately."""
        lst = ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ != Tok.EOF:
            node = self.text_or_action()
            if isinstance(node, (EndNode, ElseNode)):
                return lst, node
            lst.nodes.append(node)
        raise self.error("unexpected EOF", self.peek().pos)

    def text_or_action(self) -> Node:
        tok = self.next_non_space()
        if tok.typ == Tok.TEXT:
            return TextNode(tok.pos, tok.val)
        if tok.typ == Tok.LEFT_DELIM:
            self.action_pos = tok.pos
            try:
                return self.action()
            finally:
                self.action_pos = -1
        raise self.unexpected(tok, "input")

    def action(self) -> Node:
        tok = self.next_non_space()
        typ = tok.typ
        if typ == Tok.IF or typ == Tok.RANGE or typ == Tok.WITH:
            return self.control(tok)
        if typ == Tok.END:
            self.expect(Tok.RIGHT_DELIM, "end")
            return EndNode(tok.pos)
        if typ == Tok.ELSE:
            return self.else_control(tok)
        if typ == Tok.BREAK or typ == Tok.CONTINUE:
            return self.loop_control(tok)
        if typ in (Tok.DEFINE, Tok.TEMPLATE, Tok.BLOCK):
            raise self.error(f"{{{{{tok.val}}}}} is not supported", tok.pos)
        self.backup()
        first = self.peek()
        return ActionNode(first.pos, self.pipeline("command", Tok.RIGHT_DELIM))

    def loop_control(self, tok: Token) -> Node:
        word = "{{" + tok.val + "}}"
        after = self.next_non_space()
        if after.typ != Tok.RIGHT_DELIM:
            raise self.unexpected(after, word)
        if self.range_depth == 0:
            raise self.error(f"{word} outside {{{{range}}}}", tok.pos)
        return BreakNode(tok.pos) if tok.typ == Tok.BREAK else ContinueNode(tok.pos)

    def else_control(self, tok: Token) -> ElseNode:
        peek = self.peek_non_space()
        if peek.typ == Tok.IF or peek.typ == Tok.WITH:
            return ElseNode(tok.pos)
        self.expect(Tok.RIGHT_DELIM, "else")
        return ElseNode(tok.pos)

    def control(self, tok: Token) -> BranchNode:
        """``if``/``range``/``with``: pipeline, body, optional else (incl. ``else if``/``else with``)."""
        context = tok.val
        self.enter(tok.pos, "nesting")
        nvars = len(self.vars)
        try:
            pipe = self.pipeline(context, Tok.RIGHT_DELIM)
            if context == "range":
                self.range_depth += 1
            body, nxt = self.item_list()
            if context == "range":
                self.range_depth -= 1
            else_list: ListNode | None = None
            if isinstance(nxt, ElseNode):
                follow = self.peek()
                if context in ("if", "with") and follow.typ == (Tok.IF if context == "if" else Tok.WITH):
                    self.next()
                    else_list = ListNode(nxt.pos)
                    else_list.nodes.append(self.control(follow))
                else:
                    else_list, end = self.item_list()
                    if not isinstance(end, EndNode):
                        raise self.error(f"expected end; found {end}", end.pos)
            return BranchNode(context, pipe.pos, pipe, body, else_list)
        finally:
            del self.vars[nvars:]
            self.depth -= 1

    def pipeline(self, context: str, end: Tok) -> PipeNode:
        """``declarations? command ('|' command)*`` up to the ``end`` token."""
        pipe = PipeNode(self.peek_non_space().pos)
        while True:
            v = self.peek_non_space()
            if v.typ != Tok.VARIABLE:
                break
            v_index = self.i
            self.next()
            token_after = self.peek()
            nxt = self.peek_non_space()
            if nxt.typ == Tok.ASSIGN or nxt.typ == Tok.DECLARE:
                pipe.is_assign = nxt.typ == Tok.ASSIGN
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, [v.val]))
                self.vars.append(v.val)
                break
            if nxt.typ == Tok.CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, [v.val]))
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (Tok.VARIABLE, Tok.RIGHT_DELIM, Tok.RIGHT_PAREN):
                        continue
                    raise self.error("range can only initialize variables", nxt.pos)
                raise self.error(f"too many declarations in {context}", nxt.pos)
            del token_after
            self.i = v_index
            break
        while True:
            tok = self.next_non_space()
            if tok.typ == end:
                self.check_pipeline(pipe, context, tok)
                return pipe
            if tok.typ in _OPERAND_START:
                self.backup()
                pipe.cmds.append(self.command())
            else:
                raise self.unexpected(tok, context)

    def check_pipeline(self, pipe: PipeNode, context: str, end: Token) -> None:
        if not pipe.cmds:
            raise self.error(f"missing value for {context}", end.pos)
        for i, cmd in enumerate(pipe.cmds[1:]):
            if isinstance(cmd.args[0], _NOT_EXECUTABLE):
                raise self.error(f"non executable command in pipeline stage {i + 2}", cmd.pos)

    def command(self) -> CommandNode:
        """Space-separated operands up to ``|`` (consumed) or a right delimiter/paren (not).

        Only called when the next token starts an operand, so a command is never empty.
        """
        cmd = CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            tok = self.next()
            if tok.typ == Tok.SPACE:
                continue
            if tok.typ == Tok.RIGHT_DELIM or tok.typ == Tok.RIGHT_PAREN:
                self.backup()
            elif tok.typ != Tok.PIPE:
                raise self.unexpected(tok, "operand")
            return cmd

    def operand(self) -> Node | None:
        """A term followed by any number of ``.Field`` accesses."""
        node = self.term()
        if node is None:
            return None
        if self.peek().typ == Tok.FIELD:
            fields: list[str] = []
            while self.peek().typ == Tok.FIELD:
                fields.append(self.next().val[1:])
            if isinstance(node, FieldNode):
                return FieldNode(node.pos, node.ident + fields)
            if isinstance(node, VariableNode):
                return VariableNode(node.pos, node.ident + fields)
            if isinstance(node, (BoolNode, StringNode, NumberNode, NilNode, DotNode)):
                raise self.error(f"unexpected . after term {go_quote(str(node))}", node.pos)
            return ChainNode(node.pos, node, fields)
        return node

    def term(self) -> Node | None:
        tok = self.next_non_space()
        typ = tok.typ
        if typ == Tok.FIELD:
            return FieldNode(tok.pos, [tok.val[1:]])
        if typ == Tok.IDENTIFIER:
            if tok.val not in self.funcs:
                raise self.error(f"function {go_quote(tok.val)} not defined", tok.pos)
            return IdentifierNode(tok.pos, tok.val)
        if typ == Tok.VARIABLE:
            if tok.val not in self.vars:
                raise self.error(f"undefined variable {go_quote(tok.val)}", tok.pos)
            return VariableNode(tok.pos, [tok.val])
        if typ == Tok.STRING or typ == Tok.RAW_STRING:
            try:
                return StringNode(tok.pos, tok.val, unquote(tok.val))
            except UnquoteError:
                raise self.error(f"invalid syntax in string {tok.val}", tok.pos) from None
        if typ == Tok.DOT:
            return DotNode(tok.pos)
        if typ == Tok.NIL:
            return NilNode(tok.pos)
        if typ == Tok.BOOL:
            return BoolNode(tok.pos, tok.val == "true")
        if typ == Tok.NUMBER or typ == Tok.COMPLEX or typ == Tok.CHAR_CONSTANT:
            return self.number(tok)
        if typ == Tok.LEFT_PAREN:
            self.enter(tok.pos, "expression")
            try:
                return self.pipeline("parenthesized pipeline", Tok.RIGHT_PAREN)
            finally:
                self.depth -= 1
        self.backup()
        return None

    def number(self, tok: Token) -> NumberNode:
        if tok.typ == Tok.CHAR_CONSTANT:
            try:
                return NumberNode(tok.pos, tok.val, unquote_char_literal(tok.val))
            except UnquoteError as e:
                msg = str(e) if str(e) != "invalid syntax" else f"invalid syntax in character {tok.val}"
                raise self.error(msg, tok.pos) from None
        if tok.typ == Tok.COMPLEX or tok.val.endswith("i"):
            raise self.error(f"complex numbers are not supported: {go_quote(tok.val)}", tok.pos)
        try:
            return NumberNode(tok.pos, tok.val, parse_number(tok.val))
        except ValueError as e:
            raise self.error(str(e), tok.pos) from None


def parse_tree(src: str, name: str, funcs: Container[str]) -> ListNode:
    """Parse ``src`` into its root list; raises :class:`TemplateSyntaxError`."""
    return _Parser(src, name, funcs).parse()
