"""What is left of a process tree: every process of a session, read from /proc (Linux)."""

from __future__ import annotations

from pathlib import Path


def in_session(sid: int) -> list[tuple[int, int, str]]:
    """(pid, process group, name) of every live process in session `sid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        name_end = text.rindex(")")
        state, _ppid, group, session = text[name_end + 2 :].split()[:4]
        if int(session) == sid and state != "Z":
            found.append((int(stat.parent.name), int(group), text[: name_end + 1]))
    return found
