"""Generate the command reference, docs/commands.md, from the `newsletter` command itself.

    .venv/bin/python docs/gen_commands.py           # rewrite docs/commands.md
    .venv/bin/python docs/gen_commands.py --check   # exit 1, saying so, if it is stale

Each command's section opens with what the command says of itself: its synopsis, its help,
a table of its options (with their defaults and ranges, as `--help` shows them) and its
example, between a BEGIN and an END marker. Everything else is written by hand and kept as
it is: the introduction before the first marker, and each command's notes after its END
marker. The sections follow the order the commands are registered in (`newsletter.cli`). A
new command gets its section at its place; a command that is gone stops the script, so its
notes are not lost silently.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from newsletter.cli import cli

REFERENCE = Path(__file__).with_name("commands.md")
REGENERATE = ".venv/bin/python docs/gen_commands.py"
BEGIN = "<!-- BEGIN `{path}`: generated from the CLI by docs/gen_commands.py; edit the command -->"
END = "<!-- END `{path}` -->"
MARKER = re.compile(r"^<!-- (BEGIN|END) `([^`]+)`.*-->$", re.MULTILINE)
WIDTH = 100


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # "newsletter subscribers add"
    command: click.Command
    context: click.Context
    depth: int  # 0 for a top-level command, 1 for a group's subcommand


def entries(group: click.Group = cli) -> Iterator[Entry]:
    """Every visible command, groups before their subcommands, in registration order."""
    root = click.Context(group, info_name="newsletter", **group.context_settings)

    def walk(parent: click.Context, depth: int) -> Iterator[Entry]:
        command = parent.command
        assert isinstance(command, click.Group)
        for name, sub in command.commands.items():
            if sub.hidden:
                continue
            context = click.Context(sub, info_name=name, parent=parent)
            yield Entry(context.command_path, sub, context, depth)
            if isinstance(sub, click.Group):
                yield from walk(context, depth + 1)

    yield from walk(root, 0)


def synopsis(entry: Entry) -> str:
    """`newsletter build --week DATE [--size N] [--include ID]...`, wrapped."""
    pieces = []
    for param in _params(entry):
        if isinstance(param, click.Argument):
            pieces.append(param.make_metavar(entry.context))  # brackets and ... included
            continue
        assert isinstance(param, click.Option)
        shown = _names(param, entry.context, primary=True)
        shown = shown if param.required else f"[{shown}]"
        pieces.append(shown + ("..." if param.multiple else ""))
    if isinstance(entry.command, click.Group):
        pieces.append("COMMAND")
    lines, indent = [entry.path], " " * len(entry.path)
    for piece in pieces:  # wrapped between pieces, never inside one ("ID to SECTION")
        if len(lines[-1]) + 1 + len(piece) > WIDTH and lines[-1].strip():
            lines.append(indent)
        lines[-1] += f" {piece}"
    return "\n".join(lines)


def _params(entry: Entry) -> list[click.Parameter]:
    """The command's own parameters, without -h/--help (every command has it)."""
    helper = entry.command.get_help_option(entry.context)
    return [p for p in entry.command.get_params(entry.context) if p is not helper]


def _names(option: click.Option, context: click.Context, *, primary: bool = False) -> str:
    names = [n for n in option.opts if n.startswith("--")] or option.opts
    shown = names[0] if primary else ", ".join([*option.opts, *option.secondary_opts])
    return shown if option.is_flag else f"{shown} {option.make_metavar(context)}"


def help_and_example(command: click.Command) -> tuple[str, str | None]:
    """The command's help without its example, and the example."""
    text = inspect.cleandoc(command.help or "")
    head, found, example = text.rpartition("Example:")
    if not found:
        return text, None
    return head.strip(), " ".join(example.split())


def options_table(entry: Entry) -> list[str]:
    rows = []
    for param in _params(entry):
        if not isinstance(param, click.Option):
            continue
        record = param.get_help_record(entry.context)
        if record is None:
            continue
        meaning = " ".join(record[1].split()).replace("  ", " ")
        rows.append(f"| `{_cell(_names(param, entry.context))}` | {_cell(_markdown(meaning))} |")
    if not rows:
        return []
    return ["| option | what it does |", "| --- | --- |", *rows, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown(text: str) -> str:
    """Help text as Markdown: `<monday>` is a placeholder, not an HTML tag."""
    return re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)


def block(entry: Entry) -> str:
    """What the command says of itself, as its section's opening."""
    heading = "#" * (entry.depth + 2)
    text, example = help_and_example(entry.command)
    lines = [BEGIN.format(path=entry.path), f"{heading} `{entry.path}`", "", "```sh"]
    if isinstance(entry.command, click.Group):
        lines += [synopsis(e) for e in entries() if _parent(e) is entry.command]
    else:
        lines.append(synopsis(entry))
    lines += ["```", ""]
    lines += [_markdown(text), ""] if text else []
    lines += options_table(entry)
    lines += [f"Example: `{example}`", ""] if example else []
    lines.append(END.format(path=entry.path))
    return "\n".join(lines)


def _parent(entry: Entry) -> click.Command | None:
    return entry.context.parent.command if entry.context.parent else None


def render(current: str) -> str:
    """The reference with every generated part made anew from the CLI, the rest kept."""
    found = list(MARKER.finditer(current))
    intro = current[: found[0].start()] if found else current
    notes: dict[str, str] = {}
    for marker, after in zip(found, [*found[1:], None], strict=True):
        kind, path = marker.group(1), marker.group(2)
        if kind == "END":
            notes[path] = current[marker.end() : after.start() if after else len(current)]
    made = [e.path for e in entries()]
    gone = sorted(set(notes) - set(made))
    if gone:
        raise SystemExit(
            f"{REFERENCE}: no command {', '.join(gone)} any more; remove its section by hand"
        )
    parts = [intro.rstrip("\n") + "\n\n"]
    for entry in entries():
        kept = notes.get(entry.path, "\n\n").strip("\n")
        parts.append(block(entry) + "\n\n" + (kept + "\n\n" if kept else ""))
    return "".join(parts).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    current = REFERENCE.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print(f"{REFERENCE} is stale: run {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        REFERENCE.write_text(fresh, encoding="utf-8")
        print(f"wrote {REFERENCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
