"""Every reference resolves inside the repository: Markdown links and their anchors, the repo
paths that docs, dbt descriptions and code comments name, and no pointer to notes kept outside
the project (they are not in a clone, so a reader or the Dagster UI would lead nowhere)."""

from __future__ import annotations

import ast
import io
import re
import subprocess
import tokenize
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()

# Notes that live outside the repository (a teammates' folder): never named in tracked files.
OUTSIDE_NAMES = (
    "DESIGN.md",
    "CBR_API_NOTES",
    "EXTRACTION_NOTES",
    "STACK_NOTES",
    "TEAM_SCALE_NOTES",
    "../shared",
    "realdev",
    "/work/shared",
)
SOURCE_DIRS = ("extract", "orchestration", "reports", "scripts", "bench", "tests")
FILE_SUFFIXES = ("py", "md", "sql", "yml", "yaml", "toml", "xml", "jsonl", "txt", "png", "html")

MD_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
BACKTICKED = re.compile(r"`([^`\s]+)`")


@cache
def tracked() -> tuple[str, ...]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return tuple(sorted(name for name in out.split("\0") if name))


@cache
def top_level() -> frozenset[str]:
    return frozenset(name.split("/")[0] for name in tracked())


def text_of(name: str) -> str | None:
    try:
        return (ROOT / name).read_text(encoding="utf-8")
    except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
        return None


def is_ignored(path: str) -> bool:
    """A generated file (the warehouse, dbt's target, Dagster's home): git ignores it."""
    return (
        subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT).returncode == 0
    )


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]|<[^>]+>", "", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        match = re.match(r"#{1,6}\s+(.*)", line)
        if match and not in_code:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def markdown_files() -> list[str]:
    return [name for name in tracked() if name.endswith(".md")]


def without_code_blocks(text: str) -> str:
    """Markdown outside fenced code blocks (examples there are not links)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)


def link_problems(page: Path) -> list[str]:
    """The links of a Markdown page that lead to no file, or to no heading of a Markdown file."""
    problems = []
    name = page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else page.name
    for target in MD_LINK.findall(without_code_blocks(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        path = page.parent / path_part if path_part else page
        if not path.exists():
            problems.append(f"{name}: link to a missing file: {target}")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path.resolve()):
            problems.append(f"{name}: link to a missing heading: {target}")
    return problems


def candidate_paths(text: str) -> set[str]:
    """Repo paths a text names: in backticks (`extract/cbr.py`, `extract/facts/`), or bare with a
    file suffix (docs/facts.md), starting at a top-level folder or file of the repository."""
    found: set[str] = set()
    tops = "|".join(re.escape(t) for t in sorted(top_level()) if t not in {".gitignore"})
    bare = re.compile(
        rf"(?<![\w./-])((?:{tops})(?:/[\w.-]+)*\.(?:{'|'.join(FILE_SUFFIXES)}))(?![\w/-])"
    )
    for span in BACKTICKED.findall(text):
        span = span.split("::")[0].rstrip(".,:;)")
        first = span.split("/")[0]
        if any(ch in span for ch in "*<>{}$[]") or first not in top_level():
            continue
        if "/" not in span and not span.endswith(tuple(f".{s}" for s in FILE_SUFFIXES)):
            continue
        if span.endswith("/") or re.search(r"\.[A-Za-z]+$", span):
            found.add(span)
    found.update(bare.findall(text))
    return found


def missing(paths: set[str], base: Path) -> list[str]:
    """The paths that exist neither from the repository's root nor from ``base`` or a folder
    above it (`tests/x.sql` in dbt_project/models/ means dbt_project/tests/x.sql), and are not
    generated files (git-ignored)."""
    bases = [base, *(b for b in base.parents if b.is_relative_to(ROOT))]
    return sorted(
        p for p in paths if not any((b / p).exists() for b in bases) and not is_ignored(p)
    )


def comments_and_docstrings(source: str) -> str:
    """A Python file's comments and docstrings, plus the string given as an asset's or check's
    ``description=`` (what the Dagster UI shows)."""
    parts = [
        tok.string
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node)
            if doc:
                parts.append(doc)
        if isinstance(node, ast.keyword) and node.arg == "description":
            parts.extend(
                n.value
                for n in ast.walk(node.value)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            )
    return "\n".join(parts)


def yaml_descriptions(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == "description" and isinstance(v, str)]
        return found + [d for v in node.values() for d in yaml_descriptions(v)]
    if isinstance(node, list):
        return [d for v in node for d in yaml_descriptions(v)]
    return []


def documents_that_name_paths() -> dict[str, str]:
    """Each tracked doc, dbt YAML and Python file of ours, with the text in it that may name
    repo paths: all of a Markdown file, YAML descriptions, Python comments and docstrings."""
    texts: dict[str, str] = {}
    for name in tracked():
        if name == THIS or name.startswith(("data/", "tests/fixtures/")):
            continue
        if name.endswith(".md"):
            texts[name] = text_of(name) or ""
        elif name.startswith("dbt_project/") and name.endswith((".yml", ".yaml")):
            texts[name] = "\n".join(yaml_descriptions(yaml.safe_load(text_of(name) or "")))
        elif name.endswith(".py") and name.split("/")[0] in SOURCE_DIRS:
            texts[name] = comments_and_docstrings(text_of(name) or "")
    texts["pyproject.toml"] = "\n".join(
        line for line in (text_of("pyproject.toml") or "").splitlines() if "#" in line
    )
    texts["Makefile"] = "\n".join(
        line.split("#", 1)[1] for line in (text_of("Makefile") or "").splitlines() if "#" in line
    )
    return texts


def test_markdown_links_lead_to_files_and_headings_that_exist() -> None:
    problems = [p for name in markdown_files() for p in link_problems(ROOT / name)]
    assert problems == [], "\n".join(problems)


def test_repo_paths_named_in_docs_descriptions_and_comments_exist() -> None:
    problems = [
        f"{name}: names {path}, which does not exist"
        for name, text in documents_that_name_paths().items()
        for path in missing(candidate_paths(text), (ROOT / name).parent)
    ]
    assert problems == [], "\n".join(problems)


def test_no_tracked_file_points_to_notes_outside_the_repository() -> None:
    problems = []
    for name in tracked():
        if name == THIS:
            continue
        text = text_of(name)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            problems.extend(
                f"{name}:{number}: {outside}" for outside in OUTSIDE_NAMES if outside in line
            )
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see `extract/quantities.py` and `extract/cbr.py`", {"extract/quantities.py"}),
        ("Contract table (DESIGN.md), rules in docs/nothing_here.md.", {"docs/nothing_here.md"}),
        ("`tests/test_faults.py::test_a_timeout_names_the_url` and `docs/gone/`", {"docs/gone/"}),
        ("`reports/charts` is an asset key, `raw/cbr_rates` too; `stg_<source>__x.sql`", set()),
        ("`data/warehouse.duckdb` and `dbt_project/target/static_index.html` are built", set()),
    ],
)
def test_the_path_finder_catches_missing_paths_and_only_those(
    text: str, expected: set[str]
) -> None:
    assert set(missing(candidate_paths(text), ROOT)) == expected


def test_a_broken_link_and_a_broken_anchor_are_reported(tmp_path: Path) -> None:
    page = ROOT / "docs" / "contract.md"
    assert "fields" in anchors(page.parent / "facts.md")
    assert "being-a-good-client-ddos-guard-and-limits" in anchors(page.parent / "bank_of_russia.md")
    assert slug("6. Where did Технополис Москва export to in 2020?") == (
        "6-where-did-технополис-москва-export-to-in-2020"
    )
    (tmp_path / "facts.md").write_text((page.parent / "facts.md").read_text(encoding="utf-8"))
    probe = tmp_path / "probe.md"
    probe.write_text("[a](facts.md#no-such-heading) [b](missing.md) [c](facts.md#metrics)\n")
    assert link_problems(probe) == [
        "probe.md: link to a missing heading: facts.md#no-such-heading",
        "probe.md: link to a missing file: missing.md",
    ]
