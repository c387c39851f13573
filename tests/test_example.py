"""The repository's own site builds into the seed page, every fact on it present."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.build import build_site
from tests.conftest import REPO, SHARED

SEED = SHARED / "seed" / "000_5f9bee9225bf5318.txt"

# (title, authors shown, score or None, category, date as shown on 2026-11-28)
PAPERS = [
    (
        "JanusPipe: Efficient Pipeline Parallel Training for Machine Learning Interatomic "
        "Potentials",
        "Hongyu Wang, Weijian Liu, Hongtao Xu et al.",
        "63.3",
        "DC",
        "May 18",
    ),
    (
        "Breaking the Training Barrier of Billion-Parameter Universal Machine Learning Interatomic "
        "Potentials",
        "Yuanchang Zhou, Hongyu Wang, Yiming Du et al.",
        "70.3",
        "DC",
        "Apr 17",
    ),
    (
        "SparseBalance: Load-Balanced Long Context Training with Dynamic Sparse Attention",
        "Hongtao Xu, Jianchao Tan, Yuxuan Hu et al.",
        "66.7",
        "LG",
        "Apr 15",
    ),
    (
        "MatRIS: Toward Reliable and Efficient Pretrained Machine Learning Interaction Potentials",
        "Yuanchang Zhou, Siyu Hu, Xiangyu Zhang et al.",
        None,
        "LG",
        "Mar 2",
    ),
    (
        "Compact SO(3) Equivariant Atomistic Foundation Models via Structural Pruning",
        "Chen Wang, Siyu Hu, Guangming Tan et al.",
        "50.6",
        "LG",
        "May 9",
    ),
    (
        "Exploring Landscapes for Better Minima along Valleys",
        "Tong Zhao, Jiacheng Li, Yuanchang Zhou et al.",
        None,
        "LG",
        "Oct 31, 2025",
    ),
    (
        "FastCHGNet: Training one Universal Interatomic Potential to 1.5 Hours with 32 GPUs",
        "Yuanchang Zhou, Siyu Hu, Chen Wang et al.",
        None,
        "DC",
        "Dec 30, 2024",
    ),
    (
        "WISCA: A Lightweight Model Transition Method to Improve LLM Training via Weight Scaling",
        "Jiacheng Li, Jianchao Tan, Zhidong Yang et al.",
        None,
        "LG",
        "Aug 21, 2025",
    ),
    (
        "Skrull: Towards Efficient Long Context Fine-tuning through Dynamic Data Scheduling",
        "Hongtao Xu, Wenting Shen, Yuanxin Wei et al.",
        None,
        "LG",
        "May 26, 2025",
    ),
    (
        "Deep Density: circumventing the Kohn-Sham equations via symmetry preserving neural "
        "networks",
        "Leonardo Zepeda-Núñez, Yixiao Chen, Jiefu Zhang et al.",
        None,
        "COMP-PH",
        "Nov 27, 2019",
    ),
]


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        """textContent, like a browser (MathML included)."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_all(self, pred: object) -> list[Node]:
        out: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                if callable(pred) and pred(child):
                    out.append(child)
                out.extend(child.find_all(pred))
        return out

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


VOID = {"meta", "link", "img", "br", "hr", "input", "source", "wbr", "area", "base", "col"}


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.cur
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.cur = node.parent

    def handle_data(self, data: str) -> None:
        self.cur.children.append(data)


def parse(path: Path) -> Node:
    builder = TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    return builder.root


def norm(text: str) -> str:
    return " ".join(text.split())


def by_class(name: str) -> object:
    return lambda n: name in n.classes()


def visible_text(node: Node) -> str:
    """Text a reader sees: no script/style, no MathML annotations."""
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            parts.append(child)
        elif child.tag not in ("script", "style", "annotation", "annotation-xml"):
            parts.append(visible_text(child))
    return "".join(parts)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example") / "_site"
    build_site(REPO, output=out, env={"SOURCE_DATE_EPOCH": "1795824000"})  # 2026-11-28
    return out


@pytest.fixture(scope="module")
def index(built: Path) -> Node:
    return parse(built / "index.html")


def test_profile_header(index: Node) -> None:
    h1 = index.find_all(lambda n: n.tag == "h1")
    assert [norm(h.text()) for h in h1] == ["Weile Jia"]
    header = index.find_all(lambda n: n.tag == "header")[0]
    chips = [norm(c.text()) for c in header.find_all(by_class("chip"))]
    assert chips == ["LG"]
    badges = [norm(m.text()) for m in header.find_all(by_class("metric"))]
    assert badges == ["h-index 6", "10 papers", "53 citations", "Novelty 56%", "AI Score 54"]


def test_paper_list_facts_in_order(index: Node) -> None:
    assert "10 Papers" in [norm(h.text()) for h in index.find_all(lambda n: n.tag == "h2")]
    cards = index.find_all(by_class("paper"))
    assert len(cards) == 10
    for card, (title, authors, score, category, date) in zip(cards, PAPERS, strict=True):
        assert norm(card.find_all(by_class("paper-title"))[0].text()) == title
        assert norm(card.find_all(by_class("authors"))[0].text()) == authors
        pills = [norm(p.text()) for p in card.find_all(by_class("score"))]
        assert pills == ([score] if score else [])
        assert [norm(c.text()) for c in card.find_all(by_class("chip"))] == [category]
        assert norm(card.find_all(lambda n: n.tag == "time")[0].text()) == date
        assert card.attrs["data-category"] == category
        assert card.attrs["data-key"]
        year = re.findall(r"\d{4}", date)[0] if "," in date else "2026"
        assert card.attrs["data-year"] == year


def test_abstract_markup(index: Node, built: Path) -> None:
    html = (built / "index.html").read_text(encoding="utf-8")
    # $1.51\times$ as MathML, \textbf bold, \textit italic, {Janus} without braces, 24\% as 24%
    assert re.search(r"<math[^>]*>.*?1\.51.*?×.*?</math>", html)
    assert "<strong>Mat</strong>erials" in html
    assert "<em>ab initio</em>" in html
    assert "and Janus, a pioneering" in html
    assert "24%/35.5% of theoretical peak" in html
    assert "by 70.1% and 34.4% compared" in html


def seed_abstracts() -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    blocks = text.split("\n10 Papers\n", 1)[1].strip().split("\n\n")
    return [blocks[i + 2] for i in range(0, len(blocks), 3)]


def expected_text(seed: str) -> str:
    """What the seed's LaTeX source reads as once rendered."""
    out = re.sub(r"\$([^$]*)\$", lambda m: m.group(1).replace("\\times", "×"), seed)
    out = re.sub(r"\\text(?:bf|it)\{([^}]*)\}", r"\1", out)
    out = out.replace("\\%", "%").replace("{", "").replace("}", "")
    # LaTeX sets ' as a typographic apostrophe
    return norm(out.replace("'", "\u2019"))


@pytest.mark.skipif(not SEED.exists(), reason=f"seed page not found at {SEED}")
def test_every_abstract_matches_the_seed(index: Node) -> None:
    cards = index.find_all(by_class("paper"))
    for card, seed in zip(cards, seed_abstracts(), strict=True):
        shown = card.find_all(by_class("abstract"))[0]
        assert norm(visible_text(shown)) == expected_text(seed)


@pytest.mark.skipif(not SEED.exists(), reason=f"seed page not found at {SEED}")
def test_seed_header_lines_present(index: Node) -> None:
    seed_lines = SEED.read_text(encoding="utf-8").splitlines()[:10]
    page = norm(visible_text(index)).replace(" ", "")
    for line in seed_lines:
        if line.strip():
            assert line.replace(" ", "") in page, line


def test_no_raw_latex_in_visible_text(built: Path) -> None:
    pages = sorted(built.rglob("*.html"))
    assert len(pages) >= 11
    for page in pages:
        root = parse(page)
        # the BibTeX block on paper pages shows the source on purpose
        for pre in root.find_all(lambda n: n.tag == "pre"):
            pre.children.clear()
        text = visible_text(root)
        assert not re.search(r"\\[A-Za-z]+", text), (page, re.findall(r".{20}\\[A-Za-z]+", text))
        assert "$" not in text, page


def test_one_page_per_paper(built: Path, index: Node) -> None:
    pages = sorted((built / "papers").glob("*/index.html"))
    assert len(pages) == 10
    janus = parse(built / "papers" / "wang2026januspipe" / "index.html")
    assert norm(janus.find_all(lambda n: n.tag == "h1")[0].text()).startswith("JanusPipe:")
    text = norm(visible_text(janus))
    assert "Hongyu Wang, Weijian Liu, Hongtao Xu et al." in text
    assert "cs.DC" in text
    assert "Score 63.3" in text
    assert "@article{wang2026januspipe," in text
    links = [
        a.attrs.get("href")
        for a in index.find_all(by_class("paper-title"))[0].children
        if isinstance(a, Node)
    ]
    assert links == ["papers/wang2026januspipe/index.html"]


def test_reproducible(tmp_path: Path, built: Path) -> None:
    again = tmp_path / "again"
    build_site(REPO, output=again, env={"SOURCE_DATE_EPOCH": "1795824000"})
    files = sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (built / rel).read_bytes() == (again / rel).read_bytes(), rel
