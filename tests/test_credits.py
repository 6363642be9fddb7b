"""Credits: every credit line kind of the raw text ('Photo: VCG', 'Illustration: ...', 'Graphic: ...') and a
caption ending in one are kept once each, in order, in front matter, never in the body; pages show them."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest
import yaml

from conftest import minimal_front, write_article

HEADER = "SOURCE / ECONOMY\nPorts handle record cargo volumes\nPublished: Jan 15, 2026 11:42 PM\n"
BODY = (
    "Container throughput at major ports rose to a record in 2025, data showed on Monday.\n\n"
    "Analysts said the figures reflected resilient demand.\n"
)


def _front_and_body(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    front, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(front), body


def _import(project: Path, run, raw: str) -> tuple[dict, str]:
    (project / "incoming").mkdir(exist_ok=True)
    (project / "incoming" / "ports.txt").write_text(raw, encoding="utf-8")
    result = run(project, "import", "incoming/ports.txt")
    assert (result.code, result.err) == (0, ""), result.err
    return _front_and_body(project / "seeds" / "articles" / "ports-handle-record-cargo-volumes.md")


def _page(project: Path, run, slug: str):
    assert run(project, "build").code == 0
    return lxml.html.parse(str(project / "output" / "articles" / slug / "index.html")).getroot()


def _json_ld(page) -> dict:
    return json.loads(page.xpath('//script[@type="application/ld+json"]')[0].text)


def test_photo_and_illustration_credits_are_kept_in_order_and_leave_the_body(project, run):
    raw = HEADER + "Photo: VCG\nIllustration: Liu Xidan/GT\n\nPhoto: VCG\n\n" + BODY
    front, body = _import(project, run, raw)
    assert front["credits"] == ["Photo: VCG", "Illustration: Liu Xidan/GT"]
    assert "illustration" not in front
    assert "VCG" not in body and "Liu Xidan" not in body
    assert body.split("\n\n")[0].strip() == BODY.split("\n\n")[0]
    page = _page(project, run, "ports-handle-record-cargo-volumes")
    assert [p.text_content() for p in page.xpath('//p[@class="credit"]')] == [
        "Photo: VCG",
        "Illustration: Liu Xidan/GT",
    ]
    assert _json_ld(page)["creditText"] == "VCG, Liu Xidan/GT"
    assert "Photo: VCG" not in page.xpath('//div[@class="body"]')[0].text_content()


@pytest.mark.parametrize("kind", ["Photo", "Graphic", "Chart", "Video", "Infographic", "Photo illustration"])
def test_every_credit_kind_is_a_credit_not_a_paragraph(project, run, kind):
    front, body = _import(project, run, HEADER + f"{kind}: Xinhua\n\n" + BODY)
    assert front["credits"] == [f"{kind}: Xinhua"]
    assert "Xinhua" not in body


def test_a_caption_ending_in_a_credit_is_the_pictures_not_the_articles(project, run):
    caption = "Containers are stacked at a port in Qingdao, East China's Shandong Province, on January 5, 2026."
    raw = HEADER + f"\n{caption} Photo: CFP\n\n" + BODY + "\nA crane operator at work. Photo: IC\n"
    front, body = _import(project, run, raw)
    assert front["credits"] == ["Photo: CFP", "Photo: IC"]
    assert "Qingdao" not in body and "crane operator" not in body and "CFP" not in body
    assert body.count("\n\n") == 1  # the two body paragraphs only


def test_a_lone_illustration_credit_keeps_the_illustration_key(project, run):
    front, _body = _import(project, run, HEADER + "Illustration: Liu Xidan/GT\n\n" + BODY)
    assert front["illustration"] == "Liu Xidan/GT" and "credits" not in front


def test_text_that_only_mentions_a_photo_stays_in_the_body(project, run):
    paragraph = "Photo: the agency said its pictures of the port were taken on Monday."
    front, body = _import(project, run, HEADER + "\n" + BODY + "\n" + paragraph + "\n")
    assert "credits" not in front and "illustration" not in front
    assert body.rstrip().endswith(paragraph)


def test_an_article_with_illustration_and_credits_shows_both_illustration_first(project, run):
    write_article(
        project,
        "both.md",
        minimal_front("Both credits") + "\nillustration: A/GT\ncredits:\n- 'Photo: Xinhua'\n- 'Illustration: A/GT'\n",
    )
    page = _page(project, run, "both")
    assert [p.text_content() for p in page.xpath('//p[@class="credit"]')] == ["Illustration: A/GT", "Photo: Xinhua"]
    assert _json_ld(page)["creditText"] == "A/GT, Xinhua"


@pytest.mark.parametrize(
    "credits, message",
    [
        ("['Xinhua']", "credits: expected each credit as 'Kind: name' (e.g. 'Photo: Xinhua'), got 'Xinhua'"),
        ("['Photo: A', 'Photo: A']", "credits: a credit is listed twice"),
        ("'Photo: A'", "credits: expected a list of strings, got a string"),
    ],
)
def test_a_bad_credits_value_is_an_error_at_its_line(project, run, credits, message):
    path = write_article(project, "bad.md", minimal_front("Bad credits") + f"\ncredits: {credits}\n")
    before = sorted(p.name for p in (project / "seeds" / "articles").iterdir())
    result = run(project, "build")
    assert result.code == 1
    line = path.read_text(encoding="utf-8").splitlines().index(f"credits: {credits}") + 1
    assert f"seeds/articles/bad.md:{line}: {message}" in result.err
    assert sorted(p.name for p in (project / "seeds" / "articles").iterdir()) == before
