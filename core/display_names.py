"""What a name people read may contain: a connector's, a destination's, a webhook endpoint's, a
tenant's, a person's.

Names are shown in lists, the audit trail, webhook messages and logs, and two of them that look the
same must be the same. Every such name field carries :func:`validate_display_name` (as a model field
validator: the API's serializers and the admin's forms run it; services that build objects otherwise
call it). It refuses, naming the code point and its position (``U+200B ZERO WIDTH SPACE at position
4``):

* a control character (C0, DEL, C1: ``\\x1b[31m`` colours a terminal, a newline splits a line), a line
  or paragraph separator;
* a bidirectional embedding, override or isolate (U+202A-U+202E, U+2066-U+2069), which reorders the
  text after it, so that ``\\u202eevil`` shows as another name;
* an invisible character that has no use in a name, so that ``Payroll`` and ``Pay\\u200broll`` would
  look identical: the default-ignorable code points of Unicode's ``DerivedCoreProperties.txt``
  (zero width space, word joiner, U+FEFF, soft hyphen, the Mongolian vowel separator, the Hangul
  fillers, the invisible operators, tag characters, ...) and the interlinear annotation controls;
* a zero width joiner or non-joiner (U+200D, U+200C) that joins nothing: they stay allowed between
  two letters, marks, digits or symbols, where they build emoji sequences and shape Persian, Arabic
  and Indic text;
* a variation selector that follows no character it could select a form of (they stay allowed after
  one: the emoji presentation of ``\\u2764\\ufe0f``, Mongolian and ideographic variants), and tag
  characters outside the subdivision flags of England, Scotland and Wales (the only tag sequences
  with a picture; others render as a plain black flag hiding text);
* a space that is not one: a no-break, en, em, thin, figure or other space separator (``Pay\u00a0roll``
  beside ``Pay roll``); the ideographic space U+3000, which Chinese and Japanese input methods type,
  stays;
* a word that mixes the letters of scripts that look alike (Latin, Greek, Cyrillic, Armenian,
  Cherokee) or mixes them with their fullwidth or mathematical forms: ``Pаyroll`` with a Cyrillic
  ``а`` beside ``Payroll`` (a word: letters and marks between other characters; ``β-test`` and a
  name in Greek or Russian stay);
* a name with no visible character at all (only spaces, marks or direction marks).

The left-to-right, right-to-left and Arabic letter marks (U+200E, U+200F, U+061C) stay allowed:
they belong to mixed-direction text. Code points this Python's Unicode database does not know yet
count as visible (newer emoji).
"""

import unicodedata

from django.core.exceptions import ValidationError

_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_LINE_SEPARATORS = frozenset("\u2028\u2029")

ZWNJ, ZWJ = "\u200c", "\u200d"

# Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties.txt) but the joiners, the
# direction marks, the bidi controls (refused above with their own reason), the variation selectors
# and the tag characters (allowed in context, below); plus the interlinear annotation controls
# U+FFF9-U+FFFB, as invisible and as useless in a name.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),  # SOFT HYPHEN
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x115F, 0x1160),  # HANGUL CHOSEONG / JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ / AA
    (0x180E, 0x180E),  # MONGOLIAN VOWEL SEPARATOR
    (0x200B, 0x200B),  # ZERO WIDTH SPACE
    (0x2060, 0x2065),  # WORD JOINER, the invisible operators, <reserved-2065>
    (0x206A, 0x206F),  # deprecated format characters (symmetric swapping, digit shapes)
    (0x3164, 0x3164),  # HANGUL FILLER
    (0xFEFF, 0xFEFF),  # ZERO WIDTH NO-BREAK SPACE (byte order mark)
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFFB),  # <reserved>, INTERLINEAR ANNOTATION ANCHOR / SEPARATOR / TERMINATOR
    (0x1BCA0, 0x1BCA3),  # SHORTHAND FORMAT controls
    (0x1D173, 0x1D17A),  # MUSICAL SYMBOL BEGIN BEAM ... END PHRASE
    (0xE0000, 0xE001F),  # <reserved>, LANGUAGE TAG
    (0xE0080, 0xE00FF),  # <reserved>
    (0xE01F0, 0xE0FFF),  # <reserved>
)
_VARIATION_SELECTOR_RANGES = (
    (0x180B, 0x180D),  # MONGOLIAN FREE VARIATION SELECTOR ONE..THREE
    (0x180F, 0x180F),  # MONGOLIAN FREE VARIATION SELECTOR FOUR
    (0xFE00, 0xFE0F),  # VARIATION SELECTOR-1..16 (FE0F: emoji presentation)
    (0xE0100, 0xE01EF),  # VARIATION SELECTOR-17..256 (ideographic variants)
)
_TAGS = (0xE0020, 0xE007F)
_BLACK_FLAG, _CANCEL_TAG = "\U0001f3f4", "\U000e007f"
# The subdivision flags with a picture (RGI emoji tag sequences): England, Scotland, Wales.
_FLAG_TAG_SEQUENCES = frozenset(
    "".join(chr(0xE0000 + ord(c)) for c in code) + _CANCEL_TAG for code in ("gbeng", "gbsct", "gbwls")
)
# Shown as blank although a symbol; a name of them alone has nothing visible.
_BLANK_SYMBOLS = frozenset("\u2800")  # BRAILLE PATTERN BLANK


# Scripts with letters that look like another's (Unicode's confusables: Latin ``a``, Cyrillic ``а``,
# Greek ``α``...), by the first word of a letter's name; fullwidth and mathematical letters are
# forms of Latin or Greek letters that look like them.
_LOOKALIKE_SCRIPTS = frozenset({"LATIN", "GREEK", "CYRILLIC", "ARMENIAN", "CHEROKEE"})
_LOOKALIKE_FORMS = {"FULLWIDTH": "fullwidth", "MATHEMATICAL": "mathematical"}
# Space separators a name may have: the space, and the ideographic space CJK input methods type.
_SPACES = frozenset(" \u3000")


def _in(ch: str, ranges) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in ranges)


def _is_variation_selector(ch: str) -> bool:
    return _in(ch, _VARIATION_SELECTOR_RANGES)


def _is_tag(ch: str) -> bool:
    return _TAGS[0] <= ord(ch) <= _TAGS[1]


def _unknown(ch: str) -> bool:
    """A code point this Python's Unicode database does not know (a newer emoji, say)."""
    return unicodedata.category(ch) == "Cn" and not _in(ch, _INVISIBLE_RANGES) and not _is_tag(ch)


def _joinable(ch: str | None) -> bool:
    """A character a joiner may stand next to: a letter, a mark (a virama, an emoji's variation
    selector), a digit or a symbol (emoji, skin tones)."""
    if ch is None or ch in (ZWJ, ZWNJ):
        return False
    category = unicodedata.category(ch)
    return category[0] in "LMNS" or category == "Co" or _unknown(ch)


def _selectable(ch: str | None) -> bool:
    """A character a variation selector may follow: a visible one that is not itself a selector."""
    return ch is not None and not _is_variation_selector(ch) and _visible(ch)


def _visible(ch: str) -> bool:
    if ch in _BLANK_SYMBOLS or _in(ch, _INVISIBLE_RANGES):
        return False
    category = unicodedata.category(ch)
    return category[0] in "LNPS" or category == "Co" or _unknown(ch)


def _described(ch: str) -> str:
    """``U+200B ZERO WIDTH SPACE``; a control character has no name, only its code point."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


def _tag_sequence_at(value: str, start: int) -> int:
    """The length of the flag's tag sequence starting at ``value[start]`` (after a black flag), or 0."""
    for sequence in _FLAG_TAG_SEQUENCES:
        if value.startswith(sequence, start):
            return len(sequence)
    return 0


def _refused(value: str, index: int) -> str | None:
    """Why ``value[index]`` may not be in a name (there), or None."""
    ch = value[index]
    before = value[index - 1] if index > 0 else None
    after = value[index + 1] if index + 1 < len(value) else None
    if unicodedata.category(ch) == "Cc":  # C0, DEL and C1
        return "a control character"
    if ch in _BIDI_CONTROLS:
        return "a bidirectional override, embedding or isolate, which reorders the text shown after it"
    if ch in _LINE_SEPARATORS:
        return "a line or paragraph separator"
    if _in(ch, _INVISIBLE_RANGES):
        return "an invisible character, with which two names that look the same would differ"
    if ch in (ZWJ, ZWNJ) and not (_joinable(before) and _joinable(after)):
        return (
            "a joiner with nothing to join there (it is allowed between two letters, marks, digits or "
            "symbols, as in emoji sequences and Persian or Indic words)"
        )
    if _is_variation_selector(ch) and not _selectable(before):
        return "a variation selector that follows no character it could change the form of"
    if unicodedata.category(ch) == "Zs" and ch not in _SPACES:
        return "a space that is not one, with which two names that look the same would differ; type a space"
    return None


def _script(ch: str) -> str | None:
    """The look-alike script (or form) of the letter ``ch``, ``Latin``; None for other letters."""
    first = unicodedata.name(ch, "").split(" ", 1)[0]
    if first in _LOOKALIKE_FORMS:
        return _LOOKALIKE_FORMS[first]
    return first.capitalize() if first in _LOOKALIKE_SCRIPTS else None


def _mixed_scripts(value: str) -> str | None:
    """Why ``value`` mixes look-alike scripts in one word, naming the first letter that does; None."""
    word_script = None
    for index, ch in enumerate(value):
        category = unicodedata.category(ch)
        if category[0] == "M":
            continue
        if category[0] != "L":
            word_script = None  # a space, digit or punctuation mark ends the word
            continue
        script = _script(ch)
        if script is None:
            continue
        if word_script is None:
            word_script = script
        elif script != word_script:
            return (
                f"A name may not mix {word_script} and {script} letters in one word ({_described(ch)} at "
                f"position {index + 1}, after {word_script} letters): such a name can look exactly like "
                "another."
            )
    return None


def validate_display_name(value: str) -> None:
    """Refuse a name with a control character, a line separator, a bidirectional control, an
    invisible character that has no use in a name, a joiner that joins nothing or a space that is
    not one, naming the first one by its code point, name and position (1 for the first
    character); a word mixing look-alike scripts, naming its first letter of another; and a name
    with no visible character."""
    if not value:
        return
    index = 0
    while index < len(value):
        ch = value[index]
        if ch == _BLACK_FLAG and (length := _tag_sequence_at(value, index + 1)):
            index += 1 + length  # a subdivision flag: its tags draw it
            continue
        what = _refused(value, index)
        if what is None and _is_tag(ch):
            what = (
                "a tag character, invisible outside the flags of England, Scotland and Wales, with "
                "which two names that look the same would differ"
            )
        if what is not None:
            raise ValidationError(
                f"A name may not contain {_described(ch)} at position {index + 1}: {what}.",
                code="invalid_character",
            )
        index += 1
    if mixed := _mixed_scripts(value):
        raise ValidationError(mixed, code="mixed_scripts")
    if not any(_visible(ch) for ch in value):
        raise ValidationError(
            "A name needs a visible character (a letter, digit, punctuation mark or symbol); this one "
            "has only spaces, marks or invisible characters.",
            code="no_visible_character",
        )


# Latin letters that no Unicode decomposition takes to a-z.
_LATIN_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "þ": "th", "ð": "d"}
)


def ascii_letters(name: str) -> str:
    """``name`` lower-cased with accents taken off Latin letters (``Ünïcødé`` → ``unicode``): for
    identifiers and file names made from a display name (other scripts are left as they are)."""
    decomposed = unicodedata.normalize("NFKD", name.lower().translate(_LATIN_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
