"""Benchmark 3: fact extraction throughput on 2,000 varied articles, against natasha.

The corpus is made from the hand-made dev and held-out articles (``data/eval``): each variant
gets its own figures (every number that is not a year or a date is redrawn with the same number
of digits), its own company names (quoted names swapped for others) and, one time in three, a
paragraph of another article appended, so no two texts are alike and lengths vary.

Each side runs in its own process pinned to one core with single-threaded numeric libraries:

- ``product``: :func:`extract.facts.facts_in` on every article (natasha's NER and morphology run
  only on sentences that hold a quantity or a place);
- ``natasha``: natasha's segmentation, morphology and NER over every whole text (no facts).

Model loading is timed apart from the throughput; peak RSS includes it.
``python -m bench.extraction worker product|natasha CORPUS.jsonl`` is the worker.
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
from datetime import date
from pathlib import Path

from bench.common import ONE_THREAD, PROJECT_ROOT, Measured, check, clean_env, measure

CORPORA = (PROJECT_ROOT / "data/eval/articles", PROJECT_ROOT / "data/eval/heldout/articles")
NAMES = (
    "Квантэкс", "Микросхема", "Северный камень", "Термоника", "Лазерные системы", "ЭлектроПульс",
    "Аметист", "Гранат", "Биолинк", "Радиант", "Фотон-М", "Зеленоградские сплавы", "Ювелит",
    "Кристалл-Про", "НейроТех", "Ангара", "Сапфир", "Промсенсор", "Вектор-Р", "Оптима",
)  # fmt: skip
_NUMBER = re.compile(r"\d+")
_QUOTED = re.compile(r"«([^«»]{2,40})»")
# Numbers left alone: years, and day/month parts of dates (so periods stay valid).
_KEEP = re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b")


def base_articles() -> list:
    from extract.articles import read_path

    articles = []
    for folder in CORPORA:
        found, _ = read_path(folder)
        articles.extend(found)
    return articles


def _redraw(text: str, rng: random.Random) -> str:
    keep = [m.span() for m in _KEEP.finditer(text)]

    def replace(match: re.Match[str]) -> str:
        if any(a <= match.start() < b for a, b in keep):
            return match.group(0)
        digits = match.group(0)
        if len(digits) == 1:
            return str(rng.randint(2, 9))
        return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in digits[1:])

    return _NUMBER.sub(replace, text)


def _rename(text: str, rng: random.Random) -> str:
    # Keep the zone's own name (its gazetteers give the subject) and swap the others.
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if "Технополис" in name or "Москва" in name or rng.random() < 0.3:
            return match.group(0)
        return f"«{rng.choice(NAMES)}»"

    return _QUOTED.sub(replace, text)


def corpus(count: int = 2000, seed: int = 7) -> list[dict]:
    """``count`` distinct articles: text, title, date, language, source."""
    rng = random.Random(seed)
    bases = base_articles()
    items = []
    for index in range(count):
        base = bases[index % len(bases)]
        text = _rename(_redraw(base.text, rng), rng)
        if rng.random() < 1 / 3:
            other = bases[rng.randrange(len(bases))]
            if other.language == base.language:
                paragraphs = [p for p in other.text.split("\n") if len(p) > 80]
                if paragraphs:
                    text += "\n" + _redraw(rng.choice(paragraphs), rng)
        published = base.published_date or base.view_date
        items.append(
            {
                "source": f"bench_{index:05d}_{base.source.replace('/', '_')}",
                "title": base.title,
                "published": published.isoformat() if published else None,
                "language": base.language,
                "text": text,
            }
        )
    return items


def write_corpus(path: Path, items: list[dict]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path


def run_worker(mode: str, corpus_path: Path, cpu: int | None = 1) -> tuple[Measured, dict]:
    """One worker process (pinned to ``cpu`` if taskset exists); its report."""
    import shutil

    command = [sys.executable, "-m", "bench.extraction", "worker", mode, str(corpus_path)]
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    measured = check(measure(command, env=clean_env(**ONE_THREAD)), f"{mode} extraction")
    return measured, json.loads(measured.stdout.strip().splitlines()[-1])


def _worker(mode: str, corpus_path: Path) -> None:
    import warnings

    items = [json.loads(line) for line in corpus_path.read_text(encoding="utf-8").splitlines()]
    began = time.perf_counter()
    if mode == "product":
        from extract.facts import facts_in
        from extract.facts.russian_names import _natasha
        from extract.facts.russian_numbers import _morph

        _natasha()
        _morph()
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from natasha import (
                Doc,
                MorphVocab,
                NewsEmbedding,
                NewsMorphTagger,
                NewsNERTagger,
                Segmenter,
            )

            embedding = NewsEmbedding()
            segmenter, morph, ner = (
                Segmenter(),
                NewsMorphTagger(embedding),
                NewsNERTagger(embedding),
            )
            MorphVocab()
    load = time.perf_counter() - began
    began = time.perf_counter()
    output = 0
    for item in items:
        if mode == "product":
            published = date.fromisoformat(item["published"]) if item["published"] else None
            output += len(
                facts_in(
                    item["text"], article=item["source"], published=published,
                    title=item["title"], language=item["language"],
                )
            )  # fmt: skip
        else:
            doc = Doc(item["text"])
            doc.segment(segmenter)
            doc.tag_morph(morph)
            doc.tag_ner(ner)
            output += len(doc.spans)
    seconds = time.perf_counter() - began
    print(
        json.dumps(
            {
                "mode": mode,
                "articles": len(items),
                "chars": sum(len(item["text"]) for item in items),
                "load_seconds": load,
                "seconds": seconds,
                "output": output,  # facts (product) or named entities (natasha)
            }
        )
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "worker" and sys.argv[2] in ("product", "natasha"):
        _worker(sys.argv[2], Path(sys.argv[3]))
    else:
        sys.exit("usage: python -m bench.extraction worker product|natasha CORPUS.jsonl")
