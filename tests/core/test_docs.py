"""The reference pages in docs/ name everything the code offers."""

from pathlib import Path

from fs_conf.ivr.prompts import PROMPTS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_prompt_is_in_the_prompt_reference() -> None:
    text = (DOCS / "prompts.md").read_text(encoding="utf-8")
    for prompt in PROMPTS:
        assert f"| `{prompt.name}` | `{prompt.default}` |" in text, prompt.name
