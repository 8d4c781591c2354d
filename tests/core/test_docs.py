"""The reference pages in docs/ name everything the code offers, and the README's links lead
somewhere."""

import re
from pathlib import Path

from fs_conf.prompts import PROMPTS

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


def test_every_prompt_is_in_the_prompt_reference() -> None:
    text = (DOCS / "prompts.md").read_text(encoding="utf-8")
    for prompt in PROMPTS:
        assert f"| `{prompt.name}` | `{prompt.default}` |" in text, prompt.name


def anchor(heading: str) -> str:
    """The fragment GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_every_link_within_the_readme_has_its_section() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    sections = {anchor(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert "pin-lengths-and-lockout" in links
    assert links <= sections, links - sections


def test_the_readme_holds_the_pin_arithmetic() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## PIN lengths and lockout", 1)[1].split("\n## ", 1)[0]
    for formula in ("10^L / (V × t)", "10^L / (V × F) × W", "1.67 million calls"):
        assert formula in section
