"""Parse tree nodes (Go's ``text/template/parse`` node types); ``str()`` prints them as Go does."""

from __future__ import annotations


class Node:
    """Base class: every node has the character offset of its start in the source."""

    __slots__ = ("pos",)

    def __init__(self, pos: int) -> None:
        self.pos = pos


class TextNode(Node):
    """Plain text between actions."""

    __slots__ = ("text",)

    def __init__(self, pos: int, text: str) -> None:
        super().__init__(pos)
        self.text = text

    def __str__(self) -> str:
        return self.text


class ListNode(Node):
    """A sequence of nodes."""

    __slots__ = ("nodes",)

    def __init__(self, pos: int) -> None:
        super().__init__(pos)
        self.nodes: list[Node] = []

    def __str__(self) -> str:
        return "".join(str(n) for n in self.nodes)


class DotNode(Node):
    """The cursor, ``.``."""

    __slots__ = ()

    def __str__(self) -> str:
        return "."


class NilNode(Node):
    """The untyped ``nil`` constant."""

    __slots__ = ()

    def __str__(self) -> str:
        return "nil"


class BoolNode(Node):
    """``true`` or ``false``."""

    __slots__ = ("value",)

    def __init__(self, pos: int, value: bool) -> None:
        super().__init__(pos)
        self.value = value

    def __str__(self) -> str:
        return "true" if self.value else "false"


class NumberNode(Node):
    """A numeric constant; ``value`` is an int or a float, decided as Go does for untyped constants."""

    __slots__ = ("text", "value")

    def __init__(self, pos: int, text: str, value: int | float) -> None:
        super().__init__(pos)
        self.text = text
        self.value = value

    def __str__(self) -> str:
        return self.text


class StringNode(Node):
    """A string constant; ``quoted`` is the source form, ``text`` the value."""

    __slots__ = ("quoted", "text")

    def __init__(self, pos: int, quoted: str, text: str) -> None:
        super().__init__(pos)
        self.quoted = quoted
        self.text = text

    def __str__(self) -> str:
        return self.quoted


class IdentifierNode(Node):
    """A function name."""

    __slots__ = ("ident",)

    def __init__(self, pos: int, ident: str) -> None:
        super().__init__(pos)
        self.ident = ident

    def __str__(self) -> str:
        return self.ident


class FieldNode(Node):
    """A field chain rooted at dot: ``.input.dish`` has ``ident == ["input", "dish"]``."""

    __slots__ = ("ident",)

    def __init__(self, pos: int, ident: list[str]) -> None:
        super().__init__(pos)
        self.ident = ident

    def __str__(self) -> str:
        return "".join("." + i for i in self.ident)


class VariableNode(Node):
    """A variable with optional fields: ``$x.a`` has ``ident == ["$x", "a"]``."""

    __slots__ = ("ident",)

    def __init__(self, pos: int, ident: list[str]) -> None:
        super().__init__(pos)
        self.ident = ident

    def __str__(self) -> str:
        return ".".join(self.ident)


class ChainNode(Node):
    """Fields applied to a non-field term, e.g. ``(index .a 0).name``."""

    __slots__ = ("fields", "node")

    def __init__(self, pos: int, node: Node, fields: list[str]) -> None:
        super().__init__(pos)
        self.node = node
        self.fields = fields

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, PipeNode) else str(self.node)
        return inner + "".join("." + f for f in self.fields)


class CommandNode(Node):
    """An operation: a function call or a single operand, with its arguments."""

    __slots__ = ("args",)

    def __init__(self, pos: int) -> None:
        super().__init__(pos)
        self.args: list[Node] = []

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, PipeNode) else str(a) for a in self.args)


class PipeNode(Node):
    """Optional variable declarations followed by commands joined with ``|``."""

    __slots__ = ("cmds", "decl", "is_assign")

    def __init__(self, pos: int) -> None:
        super().__init__(pos)
        self.decl: list[VariableNode] = []
        self.is_assign = False
        self.cmds: list[CommandNode] = []

    def __str__(self) -> str:
        head = ""
        if self.decl:
            head = ", ".join(str(v) for v in self.decl) + (" = " if self.is_assign else " := ")
        return head + " | ".join(str(c) for c in self.cmds)


class ActionNode(Node):
    """A non-control action such as ``{{ .x | upper }}``."""

    __slots__ = ("pipe",)

    def __init__(self, pos: int, pipe: PipeNode) -> None:
        super().__init__(pos)
        self.pipe = pipe

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


class BranchNode(Node):
    """``if``, ``range`` or ``with``: a pipeline, a body and an optional else body."""

    __slots__ = ("else_list", "keyword", "list", "pipe")

    def __init__(
        self, keyword: str, pos: int, pipe: PipeNode, body: ListNode, else_list: ListNode | None
    ) -> None:
        super().__init__(pos)
        self.keyword = keyword
        self.pipe = pipe
        self.list = body
        self.else_list = else_list

    def __str__(self) -> str:
        s = "{{" + self.keyword + " " + str(self.pipe) + "}}" + str(self.list)
        if self.else_list is not None:
            s += "{{else}}" + str(self.else_list)
        return s + "{{end}}"


class BreakNode(Node):
    """``{{break}}`` inside a range."""

    __slots__ = ()

    def __str__(self) -> str:
        return "{{break}}"


class ContinueNode(Node):
    """``{{continue}}`` inside a range."""

    __slots__ = ()

    def __str__(self) -> str:
        return "{{continue}}"


class EndNode(Node):
    """``{{end}}``; only seen while parsing."""

    __slots__ = ()

    def __str__(self) -> str:
        return "{{end}}"


class ElseNode(Node):
    """``{{else}}``; only seen while parsing."""

    __slots__ = ()

    def __str__(self) -> str:
        return "{{else}}"
