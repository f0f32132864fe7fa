"""Template errors: syntax errors from parsing, exec errors from rendering."""

from __future__ import annotations

DEFAULT_NAME = "template"


def line_col(source: str, pos: int) -> tuple[int, int]:
    """1-based line and column (in characters) of offset ``pos`` in ``source``."""
    line = source.count("\n", 0, pos) + 1
    col = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return line, col


def location(name: str, line: int, col: int) -> str:
    """``L:C``, prefixed with the template name unless it is the default one."""
    if name == DEFAULT_NAME:
        return f"{line}:{col}"
    return f"{name}:{line}:{col}"


class TemplateError(Exception):
    """Base class of template errors; ``str()`` is the full ``template: ...`` message."""

    message: str
    name: str
    line: int
    col: int


class TemplateSyntaxError(TemplateError):
    """The template source does not parse; ``line``/``col`` point at the offending token."""

    def __init__(self, message: str, line: int, col: int, name: str = DEFAULT_NAME) -> None:
        self.message = message
        self.line = line
        self.col = col
        self.name = name
        super().__init__(f"template: {location(name, line, col)}: {message}")


class TemplateExecError(TemplateError):
    """Rendering failed; ``context`` is the failing expression as written, e.g. ``.input.dish.x``."""

    def __init__(self, message: str, line: int, col: int, context: str, name: str = DEFAULT_NAME) -> None:
        self.message = message
        self.line = line
        self.col = col
        self.context = context
        self.name = name
        super().__init__(f"template: {location(name, line, col)}: at <{context}>: {message}")
