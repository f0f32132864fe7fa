"""Executor: compiles a parse tree into nested closures once, then runs them per render.

Semantics follow Go's ``text/template/exec.go``; the deliberate differences (missing keys
and nil render as empty text, nil acts as "" for string parameters) are documented in the
package docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import fmt
from .funcs import FUNCS, STR, FuncError
from .nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
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
from .values import MISSING, is_list, is_map, sorted_keys, truth, type_name


class ExecFailure(Exception):
    """Raised inside a render; the template turns it into a TemplateExecError."""

    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


class _Break(Exception):
    """``{{break}}``."""


class _Continue(Exception):
    """``{{continue}}``."""


class State:
    """Per-render state: output pieces and the variable stack (``$`` is the root)."""

    __slots__ = ("names", "out", "values")

    def __init__(self, root: Any) -> None:
        self.out: list[str] = []
        self.names: list[str] = ["$"]
        self.values: list[Any] = [root]

    def pop(self, mark: int) -> None:
        del self.names[mark:]
        del self.values[mark:]

    def lookup(self, name: str, node: Node) -> Any:
        names = self.names
        for i in range(len(names) - 1, -1, -1):
            if names[i] == name:
                return self.values[i]
        raise ExecFailure(node, f"undefined variable: {name}")

    def assign(self, name: str, value: Any, node: Node) -> None:
        names = self.names
        for i in range(len(names) - 1, -1, -1):
            if names[i] == name:
                self.values[i] = value
                return
        raise ExecFailure(node, f"undefined variable: {name}")


Run = Callable[[State, Any], None]
Eval = Callable[[State, Any], Any]
Cmd = Callable[[State, Any, Any], Any]


def to_text(v: Any) -> str:
    """How an action prints its value: Go's ``%v``, with nil (a missing key) as ""."""
    if type(v) is str:
        return v
    if v is None:
        return ""
    return fmt.format_v(v)


def field(receiver: Any, name: str, node: Node) -> Any:
    """``receiver.name``: a map lookup (missing key or nil receiver gives nil), else an error."""
    if type(receiver) is dict:
        return receiver.get(name)
    if receiver is None:
        return None
    if isinstance(receiver, Mapping):
        return receiver.get(name)
    raise ExecFailure(node, f"can't evaluate field {name} in type {type_name(receiver)}")


def _walk_chain(receiver: Any, names: tuple[str, ...], node: Node) -> Any:
    for name in names:
        receiver = receiver.get(name) if type(receiver) is dict else field(receiver, name, node)
    return receiver


def _last_field_with_args(receiver: Any, name: str, node: Node) -> Any:
    """The last field of a chain that was given arguments: maps have no methods, so an error."""
    if receiver is None:
        return None
    if is_map(receiver):
        raise ExecFailure(node, f"{name} is not a method but has arguments")
    raise ExecFailure(node, f"can't evaluate field {name} in type {type_name(receiver)}")


# -- statements -----------------------------------------------------------------------------


def _noop(st: State, dot: Any) -> None:
    return None


def compile_list(lst: ListNode) -> Run:
    """A list of nodes run in order."""
    fns = tuple(_compile_node(n) for n in lst.nodes)
    if not fns:
        return _noop
    if len(fns) == 1:
        return fns[0]

    def run(st: State, dot: Any) -> None:
        for f in fns:
            f(st, dot)

    return run


def _compile_node(node: Node) -> Run:
    if isinstance(node, TextNode):
        return _compile_text(node.text)
    if isinstance(node, ActionNode):
        return _compile_action(node)
    if isinstance(node, BranchNode):
        if node.keyword == "range":
            return _compile_range(node)
        return _compile_if_with(node)
    if isinstance(node, BreakNode):
        return _raise_break
    if isinstance(node, ContinueNode):
        return _raise_continue
    raise TypeError(f"unexpected node {type(node).__name__}")


def _compile_text(text: str) -> Run:
    def run(st: State, dot: Any) -> None:
        st.out.append(text)

    return run


def _raise_break(st: State, dot: Any) -> None:
    raise _Break


def _raise_continue(st: State, dot: Any) -> None:
    raise _Continue


def _compile_action(node: ActionNode) -> Run:
    pipe = compile_pipe(node.pipe)
    if node.pipe.decl:

        def run_decl(st: State, dot: Any) -> None:
            pipe(st, dot)

        return run_decl

    def run(st: State, dot: Any) -> None:
        v = pipe(st, dot)
        st.out.append(v if type(v) is str else to_text(v))

    return run


def _compile_if_with(node: BranchNode) -> Run:
    pipe = compile_pipe(node.pipe)
    body = compile_list(node.list)
    else_body = compile_list(node.else_list) if node.else_list is not None else _noop

    if node.keyword == "with":

        def run_with(st: State, dot: Any) -> None:
            mark = len(st.names)
            v = pipe(st, dot)
            if truth(v):
                body(st, v)
            else:
                else_body(st, dot)
            if len(st.names) > mark:
                st.pop(mark)

        return run_with

    def run_if(st: State, dot: Any) -> None:
        mark = len(st.names)
        if truth(pipe(st, dot)):
            body(st, dot)
        else:
            else_body(st, dot)
        if len(st.names) > mark:
            st.pop(mark)

    return run_if


def _range_items(v: Any, two_vars: bool, node: Node) -> Iterable[tuple[Any, Any]] | None:
    """(index or key, element) pairs in Go's range order; None when there are none."""
    if v is None:
        return None
    if type(v) is list or is_list(v):
        return enumerate(v) if len(v) else None
    if is_map(v):
        return [(k, v[k]) for k in sorted_keys(v)] if len(v) else None
    if isinstance(v, int) and not isinstance(v, bool):
        if two_vars:
            raise ExecFailure(node, f"can't use {fmt.format_v(v)} to iterate over more than one variable")
        return ((None, i) for i in range(v)) if v > 0 else None
    raise ExecFailure(node, f"range can't iterate over {fmt.format_v(v)}")


def _compile_range(node: BranchNode) -> Run:
    pipe = compile_pipe(node.pipe)
    body = compile_list(node.list)
    else_body = compile_list(node.else_list) if node.else_list is not None else _noop
    decl = [v.ident[0] for v in node.pipe.decl]
    assign = node.pipe.is_assign
    two = len(decl) > 1
    pnode = node.pipe

    def set_vars(st: State, index: Any, elem: Any) -> None:
        if assign:
            st.assign(decl[0], index if two else elem, pnode)
            if two:
                st.assign(decl[1], elem, pnode)
        else:
            st.values[-1] = elem
            if two:
                st.values[-2] = index

    def run(st: State, dot: Any) -> None:
        mark0 = len(st.names)
        items = _range_items(pipe(st, dot), two, pnode)
        if items is None:
            else_body(st, dot)
            st.pop(mark0)
            return
        mark = len(st.names)
        for index, elem in items:
            if decl:
                set_vars(st, index, elem)
            try:
                body(st, elem)
            except _Continue:
                continue
            except _Break:
                break
            finally:
                if len(st.names) > mark:
                    st.pop(mark)
        st.pop(mark0)

    return run


# -- expressions ----------------------------------------------------------------------------


def compile_pipe(pipe: PipeNode) -> Eval:
    """A pipeline: each command's value is the last argument of the next; then declarations."""
    cmds = tuple(_compile_command(c) for c in pipe.cmds)
    names = [v.ident[0] for v in pipe.decl]
    if not names and len(cmds) == 1:
        only = cmds[0]

        def run_one(st: State, dot: Any) -> Any:
            return only(st, dot, MISSING)

        return run_one
    assign = pipe.is_assign

    def run(st: State, dot: Any) -> Any:
        v: Any = MISSING
        for c in cmds:
            v = c(st, dot, v)
        for name in names:
            if assign:
                st.assign(name, v, pipe)
            else:
                st.names.append(name)
                st.values.append(v)
        return v

    return run


def _not_a_function(cmd: CommandNode) -> ExecFailure:
    return ExecFailure(cmd, f"can't give argument to non-function {cmd.args[0]}")


def _compile_command(cmd: CommandNode) -> Cmd:
    first = cmd.args[0]
    has_args = len(cmd.args) > 1
    if isinstance(first, IdentifierNode):
        return _compile_call(first.ident, cmd, cmd.args[1:])
    if isinstance(first, FieldNode):
        return _compile_field_command(first, has_args)
    if isinstance(first, VariableNode) and len(first.ident) > 1:
        return _compile_variable_command(first, has_args)
    if isinstance(first, ChainNode):
        return _compile_chain_command(first, has_args)
    if isinstance(first, NilNode):

        def run_nil(st: State, dot: Any, final: Any) -> Any:
            if has_args or final is not MISSING:
                raise _not_a_function(cmd)
            raise ExecFailure(first, "nil is not a command")

        return run_nil
    ev = compile_arg(first)

    def run(st: State, dot: Any, final: Any) -> Any:
        if has_args or final is not MISSING:
            raise _not_a_function(cmd)
        return ev(st, dot)

    return run


def _compile_field_command(node: FieldNode, has_args: bool) -> Cmd:
    head = tuple(node.ident[:-1])
    last = node.ident[-1]
    plain = compile_arg(node)

    def run(st: State, dot: Any, final: Any) -> Any:
        if not has_args and final is MISSING:
            return plain(st, dot)
        return _last_field_with_args(_walk_chain(dot, head, node), last, node)

    return run


def _compile_variable_command(node: VariableNode, has_args: bool) -> Cmd:
    name = node.ident[0]
    head = tuple(node.ident[1:-1])
    last = node.ident[-1]
    plain = compile_arg(node)

    def run(st: State, dot: Any, final: Any) -> Any:
        if not has_args and final is MISSING:
            return plain(st, dot)
        receiver = _walk_chain(st.lookup(name, node), head, node)
        return _last_field_with_args(receiver, last, node)

    return run


def _compile_chain_command(node: ChainNode, has_args: bool) -> Cmd:
    inner = compile_arg(node.node)
    fields = tuple(node.fields)

    def run(st: State, dot: Any, final: Any) -> Any:
        receiver = inner(st, dot)
        if not has_args and final is MISSING:
            return _walk_chain(receiver, fields, node)
        return _last_field_with_args(_walk_chain(receiver, fields[:-1], node), fields[-1], node)

    return run


def _const(value: Any) -> Eval:
    def run(st: State, dot: Any) -> Any:
        return value

    return run


def _dot(st: State, dot: Any) -> Any:
    return dot


def compile_arg(node: Node) -> Eval:
    """An operand used as a value (an argument, or a command without arguments)."""
    if isinstance(node, FieldNode):
        return _compile_field(node)
    if isinstance(node, DotNode):
        return _dot
    if isinstance(node, StringNode):
        return _const(node.text)
    if isinstance(node, NumberNode):
        return _const(node.value)
    if isinstance(node, BoolNode):
        return _const(node.value)
    if isinstance(node, NilNode):
        return _const(None)
    if isinstance(node, VariableNode):
        return _compile_variable(node)
    if isinstance(node, PipeNode):
        return compile_pipe(node)
    if isinstance(node, IdentifierNode):
        call = _compile_call(node.ident, node, [])

        def run_call(st: State, dot: Any) -> Any:
            return call(st, dot, MISSING)

        return run_call
    if isinstance(node, ChainNode):
        inner = compile_arg(node.node)
        fields = tuple(node.fields)

        def run_chain(st: State, dot: Any) -> Any:
            return _walk_chain(inner(st, dot), fields, node)

        return run_chain
    raise TypeError(f"unexpected operand {type(node).__name__}")


def _compile_field(node: FieldNode) -> Eval:
    names = tuple(node.ident)
    if len(names) == 1:
        (n0,) = names

        def run1(st: State, dot: Any) -> Any:
            return dot.get(n0) if type(dot) is dict else field(dot, n0, node)

        return run1
    if len(names) == 2:
        n0, n1 = names

        def run2(st: State, dot: Any) -> Any:
            v = dot.get(n0) if type(dot) is dict else field(dot, n0, node)
            return v.get(n1) if type(v) is dict else field(v, n1, node)

        return run2

    def run(st: State, dot: Any) -> Any:
        return _walk_chain(dot, names, node)

    return run


def _compile_variable(node: VariableNode) -> Eval:
    name = node.ident[0]
    fields = tuple(node.ident[1:])

    def run(st: State, dot: Any) -> Any:
        v = st.lookup(name, node)
        return _walk_chain(v, fields, node) if fields else v

    return run


def _to_string(v: Any, node: Node) -> str:
    if type(v) is str:
        return v
    if v is None:
        return ""
    if isinstance(v, str):
        return str.__str__(v)  # a str subclass (e.g. a str Enum) by its value
    if isinstance(node, (NumberNode, BoolNode)):
        raise ExecFailure(node, f"expected string; found {node}")
    raise ExecFailure(node, f"wrong type for value; expected string; got {type_name(v)}")


def _compile_call(name: str, cmd: Node, arg_nodes: list[Node]) -> Cmd:
    """A function call; a piped value (``final``) becomes the last argument, as in Go."""
    func = FUNCS[name]
    evals = tuple(compile_arg(a) for a in arg_nodes)
    nargs = len(evals)
    fixed = len(func.params)
    variadic = func.variadic is not None

    def arity_error(num_in: int) -> ExecFailure | None:
        if variadic:
            if num_in < fixed:
                return ExecFailure(cmd, f"wrong number of args for {name}: want at least {fixed} got {nargs}")
        elif num_in != fixed:
            return ExecFailure(cmd, f"wrong number of args for {name}: want {fixed} got {num_in}")
        return None

    errors = (arity_error(nargs), arity_error(nargs + 1))

    def kind(i: int) -> str:
        return func.params[i] if i < fixed else (func.variadic or "")

    # Like Go, each argument is type-checked as soon as it is evaluated, the piped value last.
    checked = tuple(
        (ev, node, kind(i) == STR) for i, (ev, node) in enumerate(zip(evals, arg_nodes, strict=True))
    )
    final_is_str = kind(nargs) == STR
    needs_conversion = any(c[2] for c in checked) or final_is_str

    call = func.call
    if call is None:  # and / or
        want = name == "or"

        def run_logic(st: State, dot: Any, final: Any) -> Any:
            err = errors[final is not MISSING]
            if err is not None:
                raise err
            v: Any = None
            for ev in evals:
                v = ev(st, dot)
                if truth(v) == want:
                    return v
            return final if final is not MISSING else v

        return run_logic

    def run(st: State, dot: Any, final: Any) -> Any:
        has_final = final is not MISSING
        err = errors[has_final]
        if err is not None:
            raise err
        if needs_conversion:
            args = [_to_string(ev(st, dot), node) if is_str else ev(st, dot) for ev, node, is_str in checked]
            if has_final:
                args.append(_to_string(final, cmd) if final_is_str else final)
        else:
            args = [ev(st, dot) for ev in evals]
            if has_final:
                args.append(final)
        try:
            return call(args)
        except FuncError as e:
            raise ExecFailure(cmd, f"error calling {name}: {e}") from None

    return run
