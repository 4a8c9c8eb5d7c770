"""How much of a flagged message is kept: all of it, up to `KEEP` characters; of a longer one,
only the parts around what was flagged, with its length. SLT need the words that broke the code
and their context, not ten megabytes of whatever surrounds them (and the privacy notice says so).
"""

from __future__ import annotations

from collections.abc import Iterable

KEEP = 4_000  # characters: a long message SLT can still read whole
AROUND = 300  # characters of context kept either side of what was flagged
GAP = " […] "


def kept_text(text: str, flagged: Iterable[tuple[int, int]]) -> str:
    """`text` itself when it is short enough, else the stretches around the flagged spans
    (offsets into `text`), joined by " […] ", at most `KEEP` characters of the message."""
    if len(text) <= KEEP:
        return text
    stretches: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s - AROUND), min(len(text), e + AROUND)) for s, e in flagged):
        if stretches and start <= stretches[-1][1]:
            stretches[-1] = (stretches[-1][0], max(stretches[-1][1], end))
        else:
            stretches.append((start, end))
    stretches = stretches or [(0, KEEP)]  # nothing located: the start of the message
    parts: list[str] = []
    room = KEEP
    for start, end in stretches:
        if room <= 0:
            break
        parts.append(text[start : min(end, start + room)])
        room -= len(parts[-1])
    return (
        ("[…] " if stretches[0][0] > 0 else "")
        + GAP.join(parts)
        + (" […]" if room <= 0 or stretches[-1][1] < len(text) else "")
    )
