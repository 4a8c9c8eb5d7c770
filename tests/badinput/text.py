"""Hostile message text for the bad-input tests: every kind of character a platform can carry.

Strategies for hypothesis, plus the characters they are built from, so that a failing example
names what broke it.
"""

from __future__ import annotations

from hypothesis import strategies as st

# Invisible characters: zero-width, bidirectional controls, joiners, a soft hyphen, variation
# selectors, a byte order mark. A reader sees nothing; they must hide nothing from the rules.
INVISIBLE = (
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\ufe0f\ufe0e"
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Control characters a client does not show. Tab, newline and the like are whitespace instead.
HIDDEN_CONTROLS = "".join(chr(c) for c in [*range(0x00, 0x09), *range(0x0E, 0x1C), 0x7F])
WHITESPACE_CONTROLS = "\t\r\x0b\x0c\x1c\x1d\x1e\x1f\x85"
EMOJI = (
    "\U0001f602",  # face with tears of joy
    "\U0001f44d\U0001f3fd",  # thumbs up, medium skin tone
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family: a ZWJ sequence
    "\U0001f1ec\U0001f1e7",  # flag: United Kingdom
    "\u2764\ufe0f",  # red heart with a variation selector
    "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag
    "1\ufe0f\u20e3",  # keycap one
    "\U0001f9d1\u200d\U0001f3eb",  # teacher
)
# Right-to-left text: Arabic, Hebrew and Urdu greetings and school words, with the marks and
# embeddings that mix directions.
RTL = (
    "\u0645\u0631\u062d\u0628\u0627",  # Arabic: hello
    "\u0645\u062f\u0631\u0633\u0629",  # Arabic: school
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew: hello
    "\u05d1\u05d9\u05ea \u05e1\u05e4\u05e8",  # Hebrew: school
    "\u0634\u06a9\u0631\u06cc\u06c1",  # Urdu: thank you
    "\u202b\u05e9\u05dc\u05d5\u05dd\u202c",  # an embedding
    "\u2067\u0645\u0631\u062d\u0628\u0627\u2069",  # an isolate
)
# Words the rules care about, so that random text also reaches the interesting paths.
LOADED = (
    "Mr", "Mrs", "Carter", "carter", "Shah's", "#sackMrsShah", "@MrCarter", "the", "head",
    "SENCo", "is", "a", "useless", "idiot", "c.u.n.t", "f*ck", "I'll", "punch", "her",
    "07911 123456", "mum@example.com", "facebook.com/jo.bloggs", "Noah", "Isla", "lives",
    "school", "shambles", "not", "kind", "said", "p a k i", "stuuupid", "sh1t", "kys",
)  # fmt: skip


def _pieces() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(LOADED),
        st.sampled_from(EMOJI),
        st.sampled_from(RTL),
        st.sampled_from(INVISIBLE),
        st.sampled_from(HIDDEN_CONTROLS + WHITESPACE_CONTROLS + "\n"),
        st.text(max_size=6),
    )


# Any code point at all, lone surrogates included (JSON can carry "\ud800").
any_character = st.characters(codec=None, categories=None)

messages = st.one_of(
    st.text(alphabet=any_character, max_size=300),
    st.lists(_pieces(), max_size=40).map(" ".join),
    st.lists(_pieces(), max_size=40).map("".join),
)

emoji_only = st.lists(st.sampled_from(EMOJI), min_size=1, max_size=60).map("".join)
rtl_only = st.lists(st.sampled_from(RTL), min_size=1, max_size=30).map(" ".join)
blank = st.text(alphabet=st.sampled_from(" \n" + WHITESPACE_CONTROLS + INVISIBLE), max_size=60)
