#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR GPL-2.0-only
"""Write the kernel copy of one core source file to stdout.

    python3 kernel/kernel_types.py FILE

The C99 fixed-width type names are spelled the kernel's way (uint64_t -> u64,
int32_t -> s32, ...: <linux/types.h> defines each name as the very type it is
renamed to, so the compiled code does not change), and a continuation line
aligned with an open parenthesis, or with the "/*" of a block comment, whose
column the renaming moved is moved with it, so the copy keeps the kernel's
alignment rules.  Nothing else changes.
"""
import re
import sys

TYPES = re.compile(r"\b(u?)int(8|16|32|64)_t\b")


def kernel_name(m):
    return ("u" if m.group(1) else "s") + m.group(2)


def columns(line):
    """The display column (tabs of 8) of every parenthesis, in order."""
    col, out = 0, []
    for ch in line:
        if ch in "()":
            out.append((ch, col))
        col = (col // 8 + 1) * 8 if ch == "\t" else col + 1
    return out


def indent_width(ws):
    col = 0
    for ch in ws:
        col = (col // 8 + 1) * 8 if ch == "\t" else col + 1
    return col


def column_of(line, i):
    """The display column of line[i]."""
    return indent_width(line[:i])


def reindent(width, body):
    return "\t" * (width // 8) + " " * (width % 8) + body


def convert(lines):
    stack = []  # (old column, new column) of each open parenthesis
    comment = None  # (old, new) column of an open block comment's "/*"
    for old in lines:
        new = TYPES.sub(kernel_name, old)
        body = old.lstrip(" \t")
        ws = old[: len(old) - len(body)]
        if comment:
            # a comment line aligned with its opening "/*" moves with it
            if body.startswith("*") and indent_width(ws) == comment[0] + 1:
                new = reindent(comment[1] + 1, TYPES.sub(kernel_name, body))
            if "*/" in old:
                comment = None
            yield new
            continue
        if stack and body.strip() and indent_width(ws) == stack[-1][0] + 1:
            new = reindent(stack[-1][1] + 1, TYPES.sub(kernel_name, body))
        for (c, oc), (_, nc) in zip(columns(old), columns(new)):
            if c == "(":
                stack.append((oc, nc))
            elif stack:
                stack.pop()
        o, n = old.rfind("/*"), new.rfind("/*")
        if o >= 0 and "*/" not in old[o:]:
            comment = (column_of(old, o), column_of(new, n))
        yield new


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().split("\n")
    sys.stdout.write("\n".join(convert(lines)))


if __name__ == "__main__":
    main()
