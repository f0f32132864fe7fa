"""Go's ``fmt`` for template values: ``Sprint``, ``Sprintln``, ``Sprintf`` and ``%v``.

A port of ``fmt/print.go`` and ``fmt/format.go`` restricted to the kinds plain data can
have (see :mod:`.values`): flags ``+ - # 0 space``, width, precision, ``*`` and ``[n]``
argument indexes, verbs ``v T t d b o O x X c q U e E f F g G s``, and Go's error forms
``%!d(string=x)``, ``%!d(MISSING)``, ``%!(EXTRA int=1)``, ``%!(NOVERB)``, ``%!(BADWIDTH)``,
``%!(BADPREC)``, ``%!d(BADINDEX)``.

One deliberate difference: a top-level nil argument prints as the empty string under
``%v`` and ``%s`` and in ``print`` (Go prints ``<nil>`` / ``%!s(<nil>)``), following the
rule that a missing key renders as empty text. Nil inside a list or map prints ``<nil>``.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any

from .strconv import can_backquote, go_quote, go_quote_rune
from .values import is_list, is_map, sorted_keys, type_name

_LDIGITS = "0123456789abcdefx"
_UDIGITS = "0123456789ABCDEFX"


# -- floats (strconv.FormatFloat) ----------------------------------------------------


def _shortest_digits(f: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of ``f >= 0`` and the decimal point position."""
    r = repr(f)
    exp = 0
    if "e" in r:
        r, e = r.split("e")
        exp = int(e)
    ip, _, fp = r.partition(".")
    if fp == "0":
        fp = ""
    digits = ip + fp
    dp = len(ip) + exp
    stripped = digits.lstrip("0")
    dp -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    if not digits:
        return "", 0
    return digits, dp


def _fmt_e(neg: bool, d: str, dp: int, prec: int, ch: str) -> str:
    out = ["-" if neg else "", d[0] if d else "0"]
    if prec > 0:
        frac = d[1 : prec + 1]
        out.append("." + frac + "0" * (prec - len(frac)))
    exp = dp - 1 if d else 0
    sign = "-" if exp < 0 else "+"
    exp = abs(exp)
    out.append(f"{ch}{sign}{exp:02d}")
    return "".join(out)


def _fmt_f(neg: bool, d: str, dp: int, prec: int) -> str:
    out = ["-" if neg else ""]
    if dp > 0:
        out.append(d[:dp] + "0" * max(dp - len(d), 0))
    else:
        out.append("0")
    if prec > 0:
        out.append(".")
        out.append("".join(d[j] if 0 <= j < len(d) else "0" for j in range(dp, dp + prec)))
    return "".join(out)


def _float_bits(f: float) -> tuple[bool, int, int]:
    """(negative, mantissa, exponent) with ``|f| == mantissa * 2**(exponent - 52)`` (Go's layout)."""
    bits: int = struct.unpack("<Q", struct.pack("<d", f))[0]
    neg = bits >> 63 == 1
    exp = (bits >> 52) & 0x7FF
    mant = bits & ((1 << 52) - 1)
    if exp == 0:
        exp = 1
    else:
        mant |= 1 << 52
    return neg, mant, exp - 1023


def _fmt_x(f: float, prec: int, verb: str) -> str:
    neg, mant, exp = _float_bits(f)
    if mant == 0:
        exp = 0
    mant <<= 8
    while mant != 0 and mant & (1 << 60) == 0:
        mant <<= 1
        exp -= 1
    if 0 <= prec < 15:
        shift = prec * 4
        extra = (mant << shift) & ((1 << 60) - 1)
        mant >>= 60 - shift
        if extra | (mant & 1) > 1 << 59:
            mant += 1
        mant <<= 60 - shift
        if mant & (1 << 61):
            mant >>= 1
            exp += 1
    digits = _UDIGITS if verb == "X" else _LDIGITS
    out = ["-" if neg else "", "0", verb, str((mant >> 60) & 1)]
    mant = (mant << 4) & ((1 << 64) - 1)
    if prec < 0 and mant != 0:
        out.append(".")
        while mant != 0:
            out.append(digits[(mant >> 60) & 15])
            mant = (mant << 4) & ((1 << 64) - 1)
    elif prec > 0:
        out.append(".")
        for _ in range(prec):
            out.append(digits[(mant >> 60) & 15])
            mant = (mant << 4) & ((1 << 64) - 1)
    sign = "-" if exp < 0 else "+"
    out.append(("P" if verb == "X" else "p") + sign + f"{abs(exp):02d}")
    return "".join(out)


def format_float(f: float, verb: str, prec: int) -> str:
    """``strconv.FormatFloat(f, verb, prec, 64)`` for verbs ``b e E f g G x X``."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if verb == "b":
        neg, mant, exp = _float_bits(f)
        e = exp - 52
        return f"{'-' if neg else ''}{mant}p{'+' if e >= 0 else ''}{e}"
    if verb in "xX":
        return _fmt_x(f, prec, verb)
    if prec >= 0:
        return format(f, f".{prec}{verb}")
    neg = math.copysign(1.0, f) < 0
    d, dp = _shortest_digits(abs(f))
    if verb in "eE":
        return _fmt_e(neg, d, dp, len(d) - 1, verb)
    if verb == "f":
        return _fmt_f(neg, d, dp, max(len(d) - dp, 0))
    exp = dp - 1
    if exp < -4 or exp >= 6:
        return _fmt_e(neg, d, dp, len(d) - 1, "e" if verb == "g" else "E")
    return _fmt_f(neg, d, dp, max(len(d) - dp, 0))


def format_v(v: Any) -> str:
    """``fmt.Sprint(v)`` for one value; a top-level nil prints as the empty string."""
    t = type(v)
    if t is str:
        return str(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return format_float(v, "g", -1)
    p = _Printer()
    p.print_arg(v, "v")
    return "".join(p.buf)


# -- the printer (fmt.pp + fmt.fmt) ------------------------------------------------------


class _Printer:
    """Formatting state for one Sprint/Sprintf call."""

    __slots__ = (
        "buf",
        "minus",
        "plus",
        "plus_v",
        "prec",
        "prec_present",
        "sharp",
        "sharp_v",
        "space",
        "wid",
        "wid_present",
        "zero",
    )

    def __init__(self) -> None:
        self.buf: list[str] = []
        self.clear_flags()

    def clear_flags(self) -> None:
        self.wid = 0
        self.prec = 0
        self.wid_present = False
        self.prec_present = False
        self.minus = False
        self.plus = False
        self.sharp = False
        self.space = False
        self.zero = False
        self.plus_v = False
        self.sharp_v = False

    # -- padding ---------------------------------------------------------------------
    def write_padding(self, n: int) -> None:
        if n > 0:
            self.buf.append(("0" if self.zero and not self.minus else " ") * n)

    def pad(self, s: str) -> None:
        if not self.wid_present or self.wid == 0:
            self.buf.append(s)
            return
        width = self.wid - len(s)
        if not self.minus:
            self.write_padding(width)
            self.buf.append(s)
        else:
            self.buf.append(s)
            self.write_padding(width)

    # -- basic kinds -----------------------------------------------------------------
    def fmt_integer(self, v: int, base: int, verb: str, digits: str) -> None:
        negative = v < 0
        u = -v if negative else v
        prec = 0
        if self.prec_present:
            prec = self.prec
            if prec == 0 and u == 0:
                old = self.zero
                self.zero = False
                self.write_padding(self.wid)
                self.zero = old
                return
        elif self.zero and not self.minus and self.wid_present:
            prec = self.wid
            if negative or self.plus or self.space:
                prec -= 1
        if base == 10:
            s = str(u)
        elif base == 16:
            s = format(u, "x")
            if digits is _UDIGITS:
                s = s.upper()
        elif base == 8:
            s = format(u, "o")
        else:
            s = format(u, "b")
        if prec > len(s):
            s = "0" * (prec - len(s)) + s
        if self.sharp:
            if base == 2:
                s = "0b" + s
            elif base == 8:
                if s[0] != "0":
                    s = "0" + s
            elif base == 16:
                s = "0" + digits[16] + s
        if verb == "O":
            s = "0o" + s
        if negative:
            s = "-" + s
        elif self.plus:
            s = "+" + s
        elif self.space:
            s = " " + s
        old = self.zero
        self.zero = False
        self.pad(s)
        self.zero = old

    def fmt_unicode(self, u: int) -> None:
        prec = 4
        if self.prec_present and self.prec > 4:
            prec = self.prec
        s = "U+" + format(u, "X").rjust(prec, "0")
        if self.sharp and 0 <= u <= 0x10FFFF and chr(u).isprintable():
            s += f" '{chr(u)}'"
        old = self.zero
        self.zero = False
        self.pad(s)
        self.zero = old

    @staticmethod
    def _rune(u: int) -> str:
        if u < 0 or u > 0x10FFFF or 0xD800 <= u <= 0xDFFF:
            return "\ufffd"
        return chr(u)

    def fmt_int(self, v: int, verb: str) -> None:
        if verb == "v" or verb == "d":
            self.fmt_integer(v, 10, verb, _LDIGITS)
        elif verb == "b":
            self.fmt_integer(v, 2, verb, _LDIGITS)
        elif verb == "o" or verb == "O":
            self.fmt_integer(v, 8, verb, _LDIGITS)
        elif verb == "x":
            self.fmt_integer(v, 16, verb, _LDIGITS)
        elif verb == "X":
            self.fmt_integer(v, 16, verb, _UDIGITS)
        elif verb == "c":
            self.pad(self._rune(v))
        elif verb == "q":
            self.pad(go_quote_rune(self._rune(v), ascii_only=self.plus))
        elif verb == "U":
            self.fmt_unicode(v & 0xFFFFFFFFFFFFFFFF)
        else:
            self.bad_verb(verb, v)

    def fmt_float(self, v: float, verb: str) -> None:
        if verb == "v":
            self._fmt_float(v, "g", -1)
        elif verb in "bgGxX":
            self._fmt_float(v, verb, -1)
        elif verb in "feE":
            self._fmt_float(v, verb, 6)
        elif verb == "F":
            self._fmt_float(v, "f", 6)
        else:
            self.bad_verb(verb, v)

    def _fmt_float(self, v: float, verb: str, prec: int) -> None:
        if self.prec_present:
            prec = self.prec
        num = format_float(v, verb, prec)
        if num[0] not in "+-":
            num = "+" + num
        if self.space and num[0] == "+" and not self.plus:
            num = " " + num[1:]
        if num[1] == "I" or num[1] == "N":
            old = self.zero
            self.zero = False
            if num[1] == "N" and not self.space and not self.plus:
                num = num[1:]
            self.pad(num)
            self.zero = old
            return
        if self.sharp and verb != "b":
            num = self._sharp_float(num, verb, prec)
        if self.plus or num[0] != "+":
            if self.zero and not self.minus and self.wid_present and self.wid > len(num):
                self.buf.append(num[0])
                self.write_padding(self.wid - len(num))
                self.buf.append(num[1:])
                return
            self.pad(num)
            return
        self.pad(num[1:])

    @staticmethod
    def _sharp_float(num: str, verb: str, prec: int) -> str:
        """``#`` flag: always a decimal point; ``%#g`` keeps trailing zeros."""
        digits = 0
        if verb in "vgGx":
            digits = 6 if prec == -1 else prec
        tail = ""
        has_point = False
        saw_nonzero = False
        i = 1
        while i < len(num):
            c = num[i]
            if c == ".":
                has_point = True
            elif c in "pP" or (c in "eE" and verb not in "xX"):
                tail = num[i:]
                num = num[:i]
                break
            else:
                if c != "0":
                    saw_nonzero = True
                if saw_nonzero:
                    digits -= 1
            i += 1
        if not has_point:
            if len(num) == 2 and num[1] == "0":
                digits -= 1
            num += "."
        if digits > 0:
            num += "0" * digits
        return num + tail

    def fmt_string(self, s: str, verb: str) -> None:
        if verb == "v":
            if self.sharp_v:
                self.fmt_q(s)
            else:
                self.fmt_s(s)
        elif verb == "s":
            self.fmt_s(s)
        elif verb == "x":
            self.fmt_sx(s, _LDIGITS)
        elif verb == "X":
            self.fmt_sx(s, _UDIGITS)
        elif verb == "q":
            self.fmt_q(s)
        else:
            self.bad_verb(verb, s)

    def truncate(self, s: str) -> str:
        if self.prec_present:
            return s[: self.prec]
        return s

    def fmt_s(self, s: str) -> None:
        self.pad(self.truncate(s))

    def fmt_q(self, s: str) -> None:
        s = self.truncate(s)
        if self.sharp and can_backquote(s):
            self.pad("`" + s + "`")
        else:
            self.pad(go_quote(s, ascii_only=self.plus))

    def fmt_sx(self, s: str, digits: str) -> None:
        b = s.encode("utf-8", "replace")
        length = len(b)
        if self.prec_present and self.prec < length:
            length = self.prec
        width = 2 * length
        if width > 0:
            if self.space:
                if self.sharp:
                    width *= 2
                width += length - 1
            elif self.sharp:
                width += 2
        else:
            if self.wid_present:
                self.write_padding(self.wid)
            return
        if self.wid_present and self.wid > width and not self.minus:
            self.write_padding(self.wid - width)
        out = []
        prefix = "0" + digits[16]
        if self.sharp:
            out.append(prefix)
        for i in range(length):
            if self.space and i > 0:
                out.append(" ")
                if self.sharp:
                    out.append(prefix)
            c = b[i]
            out.append(digits[c >> 4] + digits[c & 0xF])
        self.buf.append("".join(out))
        if self.wid_present and self.wid > width and self.minus:
            self.write_padding(self.wid - width)

    def fmt_bool(self, v: bool, verb: str) -> None:
        if verb == "t" or verb == "v":
            self.pad("true" if v else "false")
        else:
            self.bad_verb(verb, v)

    # -- dispatch --------------------------------------------------------------------
    def bad_verb(self, verb: str, arg: Any) -> None:
        self.buf.append("%!" + verb + "(")
        if arg is None:
            self.buf.append("<nil>")
        else:
            self.buf.append(type_name(arg) + "=")
            self.print_arg(arg, "v")
        self.buf.append(")")

    def print_arg(self, arg: Any, verb: str, depth: int = 0) -> None:
        """Format one argument (``depth > 0`` inside a list or map)."""
        if arg is None:
            if depth > 0:
                if self.sharp_v:
                    self.buf.append("interface {}(nil)")
                else:
                    self.buf.append("<nil>")
            elif verb == "T":
                self.pad("<nil>")
            elif verb == "v" or verb == "s":
                self.pad("")
            else:
                self.bad_verb(verb, None)
            return
        if verb == "T":
            self.fmt_s(type_name(arg))
            return
        t = type(arg)
        if t is str:
            self.fmt_string(arg, verb)
        elif t is bool:
            self.fmt_bool(arg, verb)
        elif t is int:
            self.fmt_int(arg, verb)
        elif t is float:
            self.fmt_float(arg, verb)
        elif is_map(arg):
            self.print_map(arg, verb, depth)
        elif is_list(arg):
            self.print_list(arg, verb, depth)
        elif isinstance(arg, bool):
            self.fmt_bool(bool(arg), verb)
        elif isinstance(arg, int):
            self.fmt_int(int(arg), verb)
        elif isinstance(arg, float):
            self.fmt_float(float(arg), verb)
        elif isinstance(arg, str):
            self.fmt_string(str.__str__(arg), verb)
        elif verb in "vs":
            self.fmt_s(str(arg))
        else:
            self.bad_verb(verb, arg)

    def print_list(self, arg: Sequence[Any], verb: str, depth: int) -> None:
        if self.sharp_v:
            self.buf.append(type_name(arg) + "{")
            for i, e in enumerate(arg):
                if i:
                    self.buf.append(", ")
                self.print_arg(e, verb, depth + 1)
            self.buf.append("}")
            return
        self.buf.append("[")
        for i, e in enumerate(arg):
            if i:
                self.buf.append(" ")
            self.print_arg(e, verb, depth + 1)
        self.buf.append("]")

    def print_map(self, arg: Any, verb: str, depth: int) -> None:
        self.buf.append(type_name(arg) + "{" if self.sharp_v else "map[")
        for i, k in enumerate(sorted_keys(arg)):
            if i:
                self.buf.append(", " if self.sharp_v else " ")
            self.print_arg(k, verb, depth + 1)
            self.buf.append(":")
            self.print_arg(arg[k], verb, depth + 1)
        self.buf.append("}" if self.sharp_v else "]")

    # -- Printf ----------------------------------------------------------------------
    def do_printf(self, fmt: str, args: Sequence[Any]) -> None:
        end = len(fmt)
        argnum = 0
        after_index = False
        reordered = False
        buf = self.buf
        i = 0
        while i < end:
            good_argnum = True
            j = fmt.find("%", i)
            if j < 0:
                buf.append(fmt[i:])
                break
            if j > i:
                buf.append(fmt[i:j])
            i = j + 1
            self.clear_flags()
            while i < end:
                c = fmt[i]
                if c == "#":
                    self.sharp = True
                elif c == "0":
                    self.zero = True
                elif c == "+":
                    self.plus = True
                elif c == "-":
                    self.minus = True
                elif c == " ":
                    self.space = True
                else:
                    break
                i += 1
            argnum, i, after_index, ok, reo = _arg_number(argnum, fmt, i, len(args))
            good_argnum = good_argnum and ok
            reordered = reordered or reo
            if i < end and fmt[i] == "*":
                i += 1
                self.wid, self.wid_present, argnum = _int_from_arg(args, argnum)
                if not self.wid_present:
                    buf.append("%!(BADWIDTH)")
                if self.wid < 0:
                    self.wid = -self.wid
                    self.minus = True
                    self.zero = False
                after_index = False
            else:
                self.wid, self.wid_present, i = _parse_num(fmt, i, end)
                if after_index and self.wid_present:
                    good_argnum = False
            if i + 1 < end and fmt[i] == ".":
                i += 1
                if after_index:
                    good_argnum = False
                argnum, i, after_index, ok, reo = _arg_number(argnum, fmt, i, len(args))
                good_argnum = good_argnum and ok
                reordered = reordered or reo
                if i < end and fmt[i] == "*":
                    i += 1
                    self.prec, self.prec_present, argnum = _int_from_arg(args, argnum)
                    if self.prec < 0:
                        self.prec = 0
                        self.prec_present = False
                    if not self.prec_present:
                        buf.append("%!(BADPREC)")
                    after_index = False
                else:
                    self.prec, self.prec_present, i = _parse_num(fmt, i, end)
                    if not self.prec_present:
                        self.prec = 0
                        self.prec_present = True
            if not after_index:
                argnum, i, after_index, ok, reo = _arg_number(argnum, fmt, i, len(args))
                good_argnum = good_argnum and ok
                reordered = reordered or reo
            if i >= end:
                buf.append("%!(NOVERB)")
                break
            verb = fmt[i]
            i += 1
            if verb == "%":
                buf.append("%")
            elif not good_argnum:
                buf.append(f"%!{verb}(BADINDEX)")
            elif argnum >= len(args):
                buf.append(f"%!{verb}(MISSING)")
            else:
                if verb == "v":
                    self.sharp_v = self.sharp
                    self.sharp = False
                    self.plus_v = self.plus
                    self.plus = False
                self.print_arg(args[argnum], verb)
                argnum += 1
        if not reordered and argnum < len(args):
            self.clear_flags()
            buf.append("%!(EXTRA ")
            for k, arg in enumerate(args[argnum:]):
                if k:
                    buf.append(", ")
                if arg is None:
                    buf.append("<nil>")
                else:
                    buf.append(type_name(arg) + "=")
                    self.print_arg(arg, "v")
            buf.append(")")


def _parse_num(s: str, start: int, end: int) -> tuple[int, bool, int]:
    """Digits at ``s[start:]``: (value, present, new index); absurd widths count as absent."""
    i = start
    while i < end and "0" <= s[i] <= "9":
        i += 1
    if i == start:
        return 0, False, start
    num = int(s[start:i])
    if num > 1_000_000:
        return 0, False, end
    return num, True, i


def _arg_number(argnum: int, fmt: str, i: int, numargs: int) -> tuple[int, int, bool, bool, bool]:
    """An explicit ``[n]`` index: (argnum, new i, found, ok, reordered)."""
    if i >= len(fmt) or fmt[i] != "[":
        return argnum, i, False, True, False
    close = fmt.find("]", i + 1)
    if len(fmt) - i < 3 or close < 0:
        return argnum, i + 1, False, False, True
    index, ok, new_i = _parse_num(fmt, i + 1, close)
    if not ok or new_i != close:
        return argnum, close + 1, False, False, True
    index -= 1
    if 0 <= index < numargs:
        return index, close + 1, True, True, True
    return argnum, close + 1, True, False, True


def _int_from_arg(args: Sequence[Any], argnum: int) -> tuple[int, bool, int]:
    """A ``*`` width or precision taken from the arguments."""
    if argnum >= len(args):
        return 0, False, argnum
    arg = args[argnum]
    if type(arg) is int and -1_000_000 <= arg <= 1_000_000:
        return arg, True, argnum + 1
    return 0, False, argnum + 1


def sprintf(fmt: str, args: Sequence[Any]) -> str:
    """``fmt.Sprintf``."""
    if "%" not in fmt and not args:
        return fmt
    p = _Printer()
    p.do_printf(fmt, args)
    return "".join(p.buf)


def sprint(args: Sequence[Any]) -> str:
    """``fmt.Sprint``: operands concatenated, with a space between two non-strings."""
    if len(args) == 1 and type(args[0]) is str:
        return str(args[0])
    out: list[str] = []
    prev_string = False
    for k, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if k > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append("" if arg is None else format_v(arg))
        prev_string = is_string
    return "".join(out)


def sprintln(args: Sequence[Any]) -> str:
    """``fmt.Sprintln``: operands separated by spaces, newline appended."""
    return " ".join("" if a is None else format_v(a) for a in args) + "\n"
