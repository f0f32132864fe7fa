"""``Template.references()``: the field chains rooted at the top-level dot."""

from __future__ import annotations

from .nodes import (
    ActionNode,
    BranchNode,
    ChainNode,
    CommandNode,
    FieldNode,
    ListNode,
    Node,
    PipeNode,
    VariableNode,
)


def references(root: ListNode) -> set[tuple[str, ...]]:
    """Every ``.a.b`` read while dot is the data root, and every ``$.a.b``.

    Inside the body of ``with`` and ``range`` dot is something else, so plain chains there
    are not rooted and are left out; their pipelines and ``else`` bodies are rooted. Chains
    through user variables (``$x := .a`` then ``$x.b``) contribute only the declaration
    (``("a",)``).
    """
    refs: set[tuple[str, ...]] = set()
    _walk(root, True, refs)
    return refs


def _walk(node: Node, rooted: bool, refs: set[tuple[str, ...]]) -> None:
    if isinstance(node, ListNode):
        for n in node.nodes:
            _walk(n, rooted, refs)
    elif isinstance(node, ActionNode):
        _operand(node.pipe, rooted, refs)
    elif isinstance(node, BranchNode):
        _operand(node.pipe, rooted, refs)
        _walk(node.list, rooted and node.keyword == "if", refs)
        if node.else_list is not None:
            _walk(node.else_list, rooted, refs)


def _operand(node: Node, rooted: bool, refs: set[tuple[str, ...]]) -> None:
    if isinstance(node, FieldNode):
        if rooted:
            refs.add(tuple(node.ident))
    elif isinstance(node, VariableNode):
        if node.ident[0] == "$" and len(node.ident) > 1:
            refs.add(tuple(node.ident[1:]))
    elif isinstance(node, PipeNode):
        for cmd in node.cmds:
            _operand(cmd, rooted, refs)
    elif isinstance(node, CommandNode):
        for arg in node.args:
            _operand(arg, rooted, refs)
    elif isinstance(node, ChainNode):
        _operand(node.node, rooted, refs)
