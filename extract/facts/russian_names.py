"""Who a Russian sentence is about: the zone, its sites and named companies.

The gazetteer of :mod:`extract.vocabulary` finds the zone and its sites; quoted names
(«Златоград») are companies; natasha's NER finds organisations that are neither, and runs only
where a sentence names nobody else but a name could be there (the costly part kept where it
matters). Declined names are brought back to the nominative with pymorphy2.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from functools import lru_cache

from extract.facts.model import Sentence
from extract.facts.sentences import split_sentences
from extract.vocabulary import SUBJECT_TERMS, ZONE, find_terms


@lru_cache(maxsize=1)
def _natasha():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

        embedding = NewsEmbedding()
        return Segmenter(), NewsMorphTagger(embedding), NewsNERTagger(embedding), MorphVocab()


def named_entities(sentence: str) -> list[tuple[int, int, str, str]]:
    """natasha NER on one sentence: (start, end, type LOC|ORG|PER, normal form)."""
    from natasha import Doc

    segmenter, morph_tagger, ner_tagger, vocab = _natasha()
    doc = Doc(sentence)
    doc.segment(segmenter)
    doc.tag_ner(ner_tagger)
    if not doc.spans:
        return []
    doc.tag_morph(morph_tagger)
    entities = []
    for span in doc.spans:
        span.normalize(vocab)
        entities.append((span.start, span.stop, span.type, span.normal or span.text))
    return entities


def _pymorphy():
    """The gazetteer's pymorphy2 analyzer (one per process; natasha's models are loaded only
    when NER runs, not for a declension)."""
    from extract.facts.places import _morph

    return _morph()


def nominative(name: str) -> str:
    """«Биолинка» -> «Биолинк»: a quoted name's last word back in the nominative."""
    words = name.split()
    if (
        not words
        or not re.fullmatch(r"[А-ЯЁа-яё][А-ЯЁа-яё-]+", words[-1])
        or not name[:1].isupper()
    ):
        return name
    parses = _pymorphy().parse(words[-1])
    grams = [set(str(p.tag).replace(" ", ",").split(",")) for p in parses]
    if any({"NOUN", "nomn", "sing"} <= g for g in grams):
        return name  # it reads as a nominative already («Аурелия», «Биолинк»)
    # A declined name after a noun («украшения «Златограда»») is in the genitive singular.
    genitive = [p for p, g in zip(parses, grams, strict=True) if {"NOUN", "gent", "sing"} <= g]
    if not genitive:
        return name
    inflected = genitive[0].inflect({"nomn"})
    if inflected is None:
        return name
    words[-1] = _recase(words[-1], inflected.word)
    if len(words) > 1:  # «Золотой нити» -> «Золотая нить»: adjectives agree with the noun
        return " ".join([*(_agree(w, inflected.tag) for w in words[:-1]), words[-1]])
    return words[-1]


def _recase(original: str, lowered: str) -> str:
    """``lowered`` with the letter case of ``original`` where they share a stem: «ТермоКомпозит»."""
    common = 0
    while common < min(len(original), len(lowered)) and original[common].lower() == lowered[common]:
        common += 1
    return original[:common] + lowered[common:]


def _agree(word: str, noun_tag: object) -> str:
    for parse in _pymorphy().parse(word):
        if "ADJF" in str(parse.tag):
            inflected = parse.inflect({"nomn", getattr(noun_tag, "gender", None) or "masc", "sing"})
            if inflected is not None:
                return (
                    inflected.word[:1].upper() + inflected.word[1:]
                    if word[:1].isupper()
                    else inflected.word
                )
    return word


QUOTED = re.compile(r"[«\"“]([А-ЯЁA-Z][^«»\"”]{1,40})[»\"”]")
COMPANY_WORDS = re.compile(
    r"(?:компани|завод|предприяти|фирм|производител|групп|холдинг|корпораци|фабрик|"
    r"технопарк|дом|бренд|студи|мастерск|стартап|резидент)\w*\s*$",
    re.I,
)
# Quoted things that are not companies: places, slogans, titles of laws («Об обращении ...»).
NOT_COMPANIES = re.compile(
    r"^(?:москва|россия|made in russia|сделано в россии)$|^(?:о|об|про)\s", re.I
)


def find_subjects(
    sentence: str, entities: list[tuple[int, int, str, str]]
) -> list[tuple[int, int, str, str]]:
    """The zone, its sites and named companies of a sentence: (start, end, name, kind).

    Kinds: ``company`` (a quoted name or an organisation natasha finds), ``site``, ``zone``.
    """
    found = [
        (start, end, name, "zone" if name == ZONE else "site")
        for start, end, name in find_terms(SUBJECT_TERMS, sentence)
    ]
    for match in QUOTED.finditer(sentence):
        name = match.group(1).strip()
        if find_terms(SUBJECT_TERMS, f"«{name}»") or NOT_COMPANIES.match(name):
            continue
        if any(s <= match.start() < e for s, e, _, _ in found):
            continue
        found.append((match.start(1), match.end(1), name, "company"))
    for start, end, kind, normal in entities:
        if kind != "ORG" or any(s < end and start < e for s, e, _, _ in found):
            continue
        if re.search(
            r"департамент|министерств|мэри|правительств|администрац|банк|агентств", normal.lower()
        ):
            continue
        if re.search(r"[«\"]", sentence[start:end]) or re.fullmatch(r"[A-Z][\w-]+", normal):
            name = re.sub(r"^.*?[«\"]|[»\"].*$", "", normal).strip()
            if name:
                found.append((start, end, name, "company"))
    found.sort()
    return found


def pick_subject(subjects: list[tuple[int, int, str, str]], position: int) -> str | None:
    """A company beats a site, a site beats the zone; among equals the one nearest the number."""
    for kind in ("company", "site", "zone"):
        candidates = [s for s in subjects if s[3] == kind]
        if candidates:
            return min(
                candidates, key=lambda s: abs(s[0] - position) + (0 if s[0] < position else 5)
            )[2]
    return None


def company_aliases(text: str) -> dict[str, str]:
    """Declined forms of the article's quoted company names mapped to one nominative name.

    «Фармавектора», «Фармавектором» and «Фармавектор» are one company: forms sharing a stem are
    grouped; the name as written after «компания»/«завод» (apposition keeps the nominative) wins,
    else a form the morphology reads as nominative, else the most frequent.
    """
    forms: Counter[str] = Counter()
    apposed: set[str] = set()
    for match in QUOTED.finditer(text):
        name = match.group(1).strip()
        if find_terms(SUBJECT_TERMS, f"«{name}»") or NOT_COMPANIES.match(name):
            continue
        forms[name] += 1
        if COMPANY_WORDS.search(text[max(0, match.start() - 30) : match.start()]):
            apposed.add(name)
    groups: dict[str, list[str]] = {}
    for name in forms:
        stem = name.lower()[: max(4, len(name) - 2)]
        key = next((k for k in groups if k.startswith(stem) or stem.startswith(k)), stem)
        groups.setdefault(key, []).append(name)
    aliases: dict[str, str] = {}
    for names in groups.values():
        nominal = [n for n in names if nominative(n) == n]
        canonical = (
            max((n for n in nominal if n in apposed), key=lambda n: forms[n], default=None)
            or max(nominal, key=lambda n: forms[n], default=None)
            or nominative(max(names, key=lambda n: forms[n]))
        )
        aliases.update({name: canonical for name in names})
    return aliases


GENERIC_MENTION = re.compile(
    r"\b(?:компани|фабрик|завод|предприяти|производител)\w*(?!\s*[«\"“])", re.I
)


def article_subjects(
    text: str, title: str = "", aliases: dict[str, str] | None = None
) -> tuple[str | None, str | None, str | None]:
    """(overall, main place, main company) of an article; see :func:`article_subject`."""
    aliases = aliases or {}
    companies: Counter[str] = Counter()
    places: Counter[str] = Counter()
    for piece, weight in ((title, 2), (text, 1)):
        for _, _, name, kind in find_subjects(piece, []):
            if kind == "company":
                companies[aliases.get(name, name)] += weight
            else:
                places[name] += weight
    place = places.most_common(1)[0][0] if places else None
    company = companies.most_common(1)[0][0] if companies else None
    return article_subject(text, title, aliases), place, company


def article_subject(
    text: str, title: str = "", aliases: dict[str, str] | None = None
) -> str | None:
    """Who an article is about, the subject of figures whose sentence names nobody: the one its
    lead names (news names its protagonist first; a company before its site, a site before the
    zone), else the title's."""
    aliases = aliases or {}
    for sentence in [*split_sentences(text)[:3], Sentence(0, title)]:
        subjects = find_subjects(sentence.text, [])
        if subjects:
            chosen = pick_subject(subjects, 0)
            return aliases.get(chosen, chosen) if chosen else None
    return None


# Where an organisation may be named without quotes: a capitalised name after a legal form or a
# company word («ООО Ромашка», «компания Ромашка»), or a Latin name. Only such sentences go to
# natasha's NER (a person's name or a city alone never gives a subject, and the NER is costly).
NAME_LIKE = re.compile(
    r"\b(?:ООО|АО|ПАО|ЗАО|ОАО|ГК|НПО|НПП|НИИ|(?i:компани|предприяти|завод|фабрик|групп|"
    r"холдинг|концерн|корпораци|производител|разработчик|стартап)\w*)\s+"
    r"(?!Москв|Росси|Зеленоград)[А-ЯЁA-Z][а-яёa-z]+"
    r"|\b[A-Z][A-Za-z]{2,}"
)
GENERIC_PLACE = re.compile(r"\b(?:площадк|технопарк|территори|резидент)\w*", re.I)
# «компания», «её», «предприятие» speak of one company; «компаний», «предприятий» count them.
GENERIC_COMPANY = re.compile(
    r"\b(?!компаний|предприятий|заводов|фабрик\b|производителей|фирм\b)"
    r"(?:компани|фабрик|завод|предприяти|производител|фирм|ее|его)\w*",
    re.I,
)


def subject_for(
    position: int,
    subjects: list[tuple[int, int, str, str]],
    previous: list[tuple[int, int, str, str]],
    main_subject: str | None,
) -> str | None:
    """The sentence's own subject, else the previous sentence's (anaphora), else the article's."""
    return pick_subject(subjects, position) or pick_subject(previous, 10**9) or main_subject
