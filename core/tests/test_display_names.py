"""Invisible characters in names (``core.display_names``): refused where they have no use, so that
two names that look the same are the same, and named by code point and position; kept where
scripts and emoji need them (joiners between letters or emoji, variation selectors after a
character, the flags' tag sequences)."""

import pytest
from django.core.exceptions import ValidationError

from core.display_names import validate_display_name

SCOTLAND = "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in "gbsct") + "\U000e007f"


def refusal(name: str) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_display_name(name)
    (message,) = caught.value.messages
    return message


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("Pay\u200broll", "U+200B ZERO WIDTH SPACE at position 4"),
        ("Payroll\u2060", "U+2060 WORD JOINER at position 8"),
        ("\ufeffPayroll", "U+FEFF ZERO WIDTH NO-BREAK SPACE at position 1"),
        ("Pay\u00adroll", "U+00AD SOFT HYPHEN at position 4"),
        ("Pay\u180eroll", "U+180E MONGOLIAN VOWEL SEPARATOR at position 4"),
        ("Payroll \u3164", "U+3164 HANGUL FILLER at position 9"),
        ("\u115fPayroll", "U+115F HANGUL CHOSEONG FILLER at position 1"),
        ("Pay\u034froll", "U+034F COMBINING GRAPHEME JOINER at position 4"),
        ("a\u2062b", "U+2062 INVISIBLE TIMES at position 2"),
        ("a\u206ab", "U+206A INHIBIT SYMMETRIC SWAPPING at position 2"),
        ("a\ufff9b", "U+FFF9 INTERLINEAR ANNOTATION ANCHOR at position 2"),
        ("a\U0001d173b", "U+1D173 MUSICAL SYMBOL BEGIN BEAM at position 2"),
        ("a\U000e0001b", "U+E0001 LANGUAGE TAG at position 2"),
    ],
)
def test_an_invisible_character_is_refused_naming_its_code_point_and_position(name, named):
    message = refusal(name)

    assert message.startswith(f"A name may not contain {named}: an invisible character"), message


def test_the_older_refusals_name_the_character_and_position_too():
    assert refusal("Ware\u202ehouse").startswith(
        "A name may not contain U+202E RIGHT-TO-LEFT OVERRIDE at position 5: a bidirectional"
    )
    assert refusal("a\x1b[31m") == "A name may not contain U+001B at position 2: a control character."


@pytest.mark.parametrize(
    ("joined", "joining_nothing", "named"),
    [
        # a family emoji; a joiner before a space
        (
            "\U0001f468\u200d\U0001f469\u200d\U0001f467",
            "\U0001f468\u200d \U0001f469",
            "U+200D ZERO WIDTH JOINER at position 2",
        ),
        # a rainbow flag: flag, emoji presentation selector, joiner, rainbow
        ("\U0001f3f3\ufe0f\u200d\U0001f308", "\u200d\U0001f308", "U+200D ZERO WIDTH JOINER at position 1"),
        # Persian "mi-khaham" with a non-joiner between its letters; one at the end of a word
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u200c",
            "U+200C ZERO WIDTH NON-JOINER at position 3",
        ),
        # Devanagari ksha, half form: ka, virama, joiner, ssa; a joiner after a space
        ("\u0915\u094d\u200d\u0937", "CRM \u200d\u0915", "U+200D ZERO WIDTH JOINER at position 5"),
    ],
)
def test_a_joiner_is_kept_between_letters_or_emoji_and_refused_where_it_joins_nothing(
    joined, joining_nothing, named
):
    validate_display_name(f"Team {joined}")

    message = refusal(joining_nothing)

    assert message.startswith(f"A name may not contain {named}: a joiner with nothing to join there"), message


@pytest.mark.parametrize(
    ("selected", "selecting_nothing", "named"),
    [
        ("\u2764\ufe0f Payroll", "\ufe0fPayroll", "U+FE0F VARIATION SELECTOR-16 at position 1"),
        ("Keycap 1\ufe0f\u20e3", "Keycap 1\ufe0f\ufe0f", "U+FE0F VARIATION SELECTOR-16 at position 10"),
        ("\u845b\U000e0100 Ltd", "Ltd \U000e0100", "U+E0100 VARIATION SELECTOR-17 at position 5"),
    ],
)
def test_a_variation_selector_is_kept_after_a_character_and_refused_after_none(
    selected, selecting_nothing, named
):
    validate_display_name(selected)

    message = refusal(selecting_nothing)

    assert message.startswith(f"A name may not contain {named}: a variation selector"), message


def test_tags_draw_the_subdivision_flags_and_are_refused_anywhere_else():
    validate_display_name(f"{SCOTLAND} Scotland sales")

    # text hidden in tags after a flag or a letter shows as a plain flag, or nothing
    hidden = "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in "hi") + "\U000e007f"
    assert refusal(hidden).startswith("A name may not contain U+E0068 TAG LATIN SMALL LETTER H at position 2")
    assert "U+E0041 TAG LATIN CAPITAL LETTER A at position 4" in refusal("CRM\U000e0041")


@pytest.mark.parametrize(
    "name",
    ["\u200e", "\u200f\u200e", " \u3000", "\u2800\u2800", "\u0301", "\u200e \u061c"],
    ids=["LRM", "RLM LRM", "space ideographic space", "braille blanks", "a lone accent", "marks and a space"],
)
def test_a_name_with_no_visible_character_is_refused(name):
    assert refusal(name) == (
        "A name needs a visible character (a letter, digit, punctuation mark or symbol); this one "
        "has only spaces, marks or invisible characters."
    )


def test_direction_marks_beside_visible_text_and_emoji_newer_than_the_database_are_kept():
    validate_display_name("\u05e9\u05dc\u05d5\u05dd \u200eAPI\u200f")
    validate_display_name("\U0001fae8")  # Unicode 15 (shaking face): unassigned in older databases

    assert refusal("\u200e\u200f").startswith("A name needs a visible character")


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("Pay\u00a0roll", "U+00A0 NO-BREAK SPACE at position 4"),
        ("Pay\u202froll", "U+202F NARROW NO-BREAK SPACE at position 4"),
        ("Pay\u2003roll", "U+2003 EM SPACE at position 4"),
        ("Payroll\u2007", "U+2007 FIGURE SPACE at position 8"),
    ],
)
def test_a_space_that_is_not_one_is_refused(name, named):
    # before: "Pay roll" with a no-break space sat beside "Pay roll", the two looking the same
    assert refusal(name) == (
        f"A name may not contain {named}: a space that is not one, with which two names that look the "
        "same would differ; type a space."
    )


@pytest.mark.parametrize(
    ("name", "mixed"),
    [
        (
            "P\u0430yroll",
            "Latin and Cyrillic letters in one word (U+0430 CYRILLIC SMALL LETTER A at position 2",
        ),
        (
            "Billing \u0391PI",
            "Greek and Latin letters in one word (U+0050 LATIN CAPITAL LETTER P at position 10, after Greek",
        ),
        (
            "\uff30ayroll",
            "fullwidth and Latin letters in one word (U+0061 LATIN SMALL LETTER A at position 2",
        ),
        (
            "\U0001d40fayroll",
            "mathematical and Latin letters in one word (U+0061 LATIN SMALL LETTER A at position 2",
        ),
        (
            "Ca\u0301f\u0435",
            "Latin and Cyrillic letters in one word (U+0435 CYRILLIC SMALL LETTER IE at position 5",
        ),
    ],
    ids=["Cyrillic a", "Greek Alpha", "fullwidth P", "mathematical bold P", "after a combining accent"],
)
def test_a_word_mixing_look_alike_scripts_is_refused(name, mixed):
    # before: "Pаyroll" with a Cyrillic а was a second connector beside "Payroll", looking the same
    assert refusal(name).startswith(f"A name may not mix {mixed}")


@pytest.mark.parametrize(
    "name",
    [
        "\u041f\u0440\u0438\u0432\u0435\u0442 API",  # Russian and Latin words side by side
        "\u03b2-test",  # a Greek letter as its own word
        "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",
        "Cr\u00e8me br\u00fbl\u00e9e",
        "Stra\u00dfe \u00c6r\u00f8 \u0110or\u0111e",
        "\u6771\u4eac\u3000\u652f\u5e97",  # an ideographic space
        "CRM\u6771\u4eac",  # Latin beside Han: not look-alikes
        "5\u00b5m",  # MICRO SIGN
    ],
)
def test_words_in_one_script_and_scripts_that_do_not_look_alike_are_kept(name):
    validate_display_name(name)
