"""Severity badges and intake buttons: text on each severity's colour meets WCAG 2 AA (4.5:1),
computed from the stylesheet itself. Every page (and the dark board) uses these rules."""

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "static" / "linkage" / "linkage.css"


def _rules(css: str) -> list[tuple[list[str], dict[str, str]]]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = {
            name.strip(): value.strip()
            for name, _colon, value in (part.partition(":") for part in body.split(";"))
            if value.strip()
        }
        rules.append(([selector.strip() for selector in selectors.split(",")], declarations))
    return rules


def _declared(selector: str) -> dict[str, str]:
    """What the stylesheet sets for exactly `selector`, later rules winning, variables resolved."""
    rules = _rules(CSS.read_text())
    variables = {name: value for selectors, body in rules if ":root" in selectors for name, value in body.items()}
    merged: dict[str, str] = {}
    for selectors, body in rules:
        if selector in selectors:
            merged.update(body)
    return {
        name: re.sub(r"var\((--[\w-]+)\)", lambda m: variables[m.group(1)], value) for name, value in merged.items()
    }


def _luminance(colour: str) -> float:
    hex_digits = colour.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(digit * 2 for digit in hex_digits)
    channels = [int(hex_digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_formula_matches_known_pairs():
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_each_severity_has_its_own_text_colour_with_aa_contrast(level):
    rule = _declared(f".sev-{level}")
    # Its own text colour: an inherited one is the dark board's near-white on yellow.
    assert "background" in rule and "color" in rule, rule
    ratio = contrast(rule["background"], rule["color"])
    assert ratio >= 4.5, f"severity {level}: {rule['color']} on {rule['background']} is {ratio:.2f}:1"
