"""Write docs/indicators.md from the indicator registry (run by docs/conf.py)."""

from pathlib import Path

from urbanrisk.profile.indicators import registry_markdown

if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "indicators.md"
    text = registry_markdown()
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
