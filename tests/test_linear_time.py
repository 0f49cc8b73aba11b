"""Extraction time grows linearly with the input, on hostile shapes of text.

These are scaling checks, not absolute timings: the same shape is read at N and 2N characters
and the second must take less than three times as long (a quadratic cost takes four). Times are
processor times of this process, so other work on the machine counts less (a virtual machine's
stolen time still counts); each size is timed once and, while the ratio is 3 or more, again, up to
:data:`ATTEMPTS` times, keeping the fastest time of each, so that a hiccup does not fail the test.
Every run must also end within a loose bound of wall-clock time.

``test_whole_extraction_is_linear`` reads whole articles with :func:`extract.facts.facts_in`,
where sentences are cut into pieces of at most 1,000 characters;
``test_quantity_grammar_is_linear_within_a_sentence`` gives one long sentence straight to the
quantity grammars, whose cost per number must not grow with the sentence either.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import pytest

from extract.facts import english, facts_in, russian_numbers

RATIO = 3.0
"""2N may take at most this many times as long as N (linear: 2, quadratic: 4)."""
ATTEMPTS = 3
"""Each size is timed again, keeping its fastest time, while the ratio is too high, up to this many
times: a quadratic cost stays at 4 however often it is timed, noise does not."""
SANITY_SECONDS = 60.0
"""No run may take longer than this, whatever the machine."""


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _seconds(read: Callable[[str], object], text: str) -> float:
    """The processor time ``read(text)`` takes (other processes on the machine do not count),
    with the garbage collector off as in :mod:`timeit`: a full collection walks every object of
    the loaded models and lands in one run or the other by chance."""
    gc.collect()
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        read(text)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        gc.enable()
    assert wall < SANITY_SECONDS
    return cpu


def _assert_linear(read: Callable[[str], object], make: Callable[[int], str], size: int) -> None:
    small, large = make(size), make(2 * size)
    once, twice = _seconds(read, small), _seconds(read, large)
    for _ in range(ATTEMPTS - 1):
        if twice < RATIO * once:
            break
        once, twice = min(once, _seconds(read, small)), min(twice, _seconds(read, large))
    assert twice < RATIO * once, f"N: {once:.3f} s, 2N: {twice:.3f} s"


# (language, text of about n characters, n): about 15 s in all. natasha's NER runs only on
# pieces with a name-like word and nobody the gazetteers know, and costs most: a smaller n.
ARTICLES: dict[str, tuple[str, Callable[[int], str], int]] = {
    "numbers": ("ru", lambda n: _repeat("123 ", n), 100_000),
    "hyphenated numbers": ("ru", lambda n: _repeat("1-", n), 60_000),
    "glued thousands": ("ru", lambda n: "1" + _repeat(" 000", n), 100_000),
    "words and numbers, no full stop": (
        "ru",
        lambda n: _repeat("резиденты выпустили 15 новых изделий и вложили 3 млн рублей, ", n),
        100_000,
    ),
    "names for the NER, no full stop": (
        "ru",
        lambda n: _repeat("компания Ромашка выпустила 15 изделий и вложила 3 млн рублей, ", n),
        8_000,
    ),
    "exclamation marks": ("ru", lambda n: _repeat("!", n), 40_000),
    "commas": ("ru", lambda n: _repeat(",", n), 40_000),
    "english numbers": ("en", lambda n: _repeat("12 ", n), 100_000),
    "english counts": ("en", lambda n: _repeat("2020 companies and 3 sites ", n), 10_000),
}


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Load the morphology, the gazetteers and the NER before anything is timed."""
    for language, text in (
        ("ru", "Компания «Ромашка» вложила 5 млн рублей в Индии."),
        ("ru", "компания Ромашка выпустила 15 изделий и вложила 3 млн рублей."),  # the NER runs
        ("en", "Acme invested 5 bn roubles in India."),
    ):
        facts_in(text, article="", published=None, title=None, language=language)


@pytest.mark.parametrize("shape", list(ARTICLES))
def test_whole_extraction_is_linear(shape: str) -> None:
    language, make, size = ARTICLES[shape]

    def read(text: str) -> object:
        return facts_in(text, article="hostile", published=None, title=None, language=language)

    _assert_linear(read, make, size)


# One sentence, given to a grammar whole: the costs per number that used to grow with it.
SENTENCES: dict[str, tuple[Callable[[str], object], Callable[[int], str]]] = {
    "ru: a growing number of glued groups": (
        russian_numbers.find_quantities,
        lambda n: _repeat("123 ", n),
    ),
    "ru: dates passed over": (russian_numbers.find_quantities, lambda n: _repeat("12.05.2020 ", n)),
    "ru: phone numbers passed over": (
        russian_numbers.find_quantities,
        lambda n: _repeat("+7 (495) 123-45-67 ", n),
    ),
    "en: years among counts": (english.find_quantities, lambda n: _repeat("2020 companies ", n)),
    "en: numbers": (english.find_quantities, lambda n: _repeat("12 ", n)),
}


@pytest.mark.parametrize("shape", list(SENTENCES))
def test_quantity_grammar_is_linear_within_a_sentence(shape: str) -> None:
    find, make = SENTENCES[shape]
    _assert_linear(find, make, 32_000)


def test_at_most_max_quantities_per_sentence() -> None:
    assert len(russian_numbers.find_quantities(_repeat("5 компаний, ", 5_000))) == 64
    assert len(english.find_quantities(_repeat("5 companies, ", 5_000))) == 64
    assert russian_numbers.MAX_QUANTITIES == english.MAX_QUANTITIES == 64
