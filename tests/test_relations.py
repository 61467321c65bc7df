"""Relation extraction on real sentences: each sentence below is from a real arXiv abstract of
the shared corpus (`../shared/corpus/<file>` line n, CC0 arXiv metadata), as cited."""

from __future__ import annotations

import re
from pathlib import Path

from digests.relations import Item, Target, entry_names, find_relations, unsafe


def _seed_entry(name: str) -> tuple[str, str]:
    """(arXiv key, title) of an entry of the lab's survey in seeds/, as its citation gives them."""
    for path in sorted((Path(__file__).parents[1] / "seeds").glob("*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            cited = re.search(r"“(" + re.escape(name) + r":[^”]+?)\.?”.*arXiv\.(\d{4}\.\d{4,5})", line)
            if cited:
                return f"arxiv:{cited[2]}", cited[1]
    raise LookupError(name)


REMOTECLIP_KEY, REMOTECLIP_TITLE = _seed_entry("RemoteCLIP")
REMOTECLIP = Target(REMOTECLIP_KEY, "RemoteCLIP", REMOTECLIP_TITLE,
                    ("RemoteCLIP",), ("F. Liu", "D. Chen", "Z. Guan"), False, (REMOTECLIP_KEY,))
OCEANGPT = Target("arxiv:2310.02031", "OceanGPT",
                  "OceanGPT: A Large Language Model for Ocean Science Tasks", ("OceanGPT",),
                  ("Z. Bi", "N. Zhang", "Y. Xue"), False, ("arxiv:2310.02031",))
DINOV2 = Target("entry:dinov2", "DINOv2", "DINOv2", ("DINOv2",),  # a kept entry, named only
                ("Maxime Oquab", "Timothée Darcet"), False)
DOTA = Target("arxiv:1711.10398", "DOTA",
              "DOTA: A Large-scale Dataset for Object Detection in Aerial Images", ("DOTA",),
              ("Gui-Song Xia",), True, ("arxiv:1711.10398",))
DIOR = Target("arxiv:1909.00133", "DIOR", "Object Detection in Optical Remote Sensing Images: "
              "A Survey and A New Benchmark", ("DIOR",), ("Ke Li",), True)
AID = Target("arxiv:1608.05167", "AID", "AID: A Benchmark Dataset for Performance Evaluation of "
             "Aerial Scene Classification", ("AID",), ("Gui-Song Xia", "Jingwen Hu"), True)
NWPU = Target("arxiv:1703.00121", "NWPU-RESISC45", "Remote Sensing Image Scene Classification: "
              "Benchmark and State of the Art", ("NWPU-RESISC45",), ("Gong Cheng",), True)
RSP = Target("doi:10.1109/tgrs.2022.3176603", "RSP", "An Empirical Study of Remote Sensing "
             "Pretraining", ("RSP",), ("D. Wang", "J. Zhang", "B. Du"), False,
             ("doi:10.1109/tgrs.2022.3176603",))
ALL = [REMOTECLIP, OCEANGPT, DINOV2, DOTA, DIOR, AID, NWPU, RSP]


def kinds(abstract: str, title: str = "A work", **kw: object) -> set[tuple[str, str]]:
    item = Item("w", title, abstract, **kw)  # type: ignore[arg-type]
    names = {t.work_id: t.name for t in ALL}
    return {(names[r.target_id], r.kind) for r in find_relations([item], ALL)}


def test_builds_on_from_the_words_around_the_name() -> None:
    # rs_candidates.jsonl:1183
    assert kinds("TAFE constructs text descriptors related to remote sensing scenes and "
                 "land-cover objects, and uses a frozen RemoteCLIP text encoder to extract text "
                 "features.") == {("RemoteCLIP", "builds_on")}
    # arxiv_stream.jsonl:17557: distils from, the name inside "(e.g., …)"
    assert kinds("To address this limitation, we propose DisDop, a unified framework that "
                 "systematically distills multi-level domain priors from remote sensing "
                 "foundation models (e.g., RemoteCLIP and DINOv3) into a lightweight "
                 "detector.") == {("RemoteCLIP", "builds_on")}
    # arxiv_stream.jsonl:3918
    assert kinds("Built upon the DINOv2 foundation model, our approach integrates Low-Rank "
                 "Adaptation.") == {("DINOv2", "builds_on")}


def test_compares_with_and_the_nearer_cue_wins() -> None:
    # arxiv_stream.jsonl:2219
    assert kinds("Our method improves linear probing accuracy by 4.8% over DINOv2, "
                 "demonstrating that denoiser-free robustness can emerge.") == {
        ("DINOv2", "compares_with")}
    # arxiv_stream.jsonl:13923: outperforming X-based frameworks compares, it does not build on X
    assert kinds("Furthermore, our high-performance configuration outperforms all current "
                 "state-of-the-art methods, including high-capacity DINOv2-based frameworks, "
                 "while exceeding 200 FPS on edge devices.") == {("DINOv2", "compares_with")}


def test_uses_dataset_for_entries_of_the_datasets_section() -> None:
    # arxiv_stream.jsonl:1143
    assert kinds("We integrate LoRA into DiffusionDet, and evaluate its performance on the DOTA "
                 "and DIOR datasets.") == {("DOTA", "uses_dataset"),
                                           ("DIOR", "uses_dataset")}
    # rs_candidates.jsonl:493: a dataset's version is still the dataset
    assert kinds("Extensive experiments on DOTA v1.0 and DOTA v1.5 demonstrate that FGAA-FPN "
                 "achieves state-of-the-art results.") == {("DOTA", "uses_dataset")}


def test_a_mention_without_a_cue_is_a_citation() -> None:
    # arxiv_stream.jsonl:10551 (AI-GOMS stands in for OceanGPT's place in the sentence)
    assert kinds("Current models like FourCastNet and OceanGPT depend heavily on GPUs.") == {
        ("OceanGPT", "cites")}


def test_a_name_inside_a_url_or_a_longer_name_is_no_mention() -> None:
    # arxiv_stream.jsonl:8070: OceanGym's code lives under github.com/OceanGPT/
    assert kinds("The code and data are available at https://github.com/OceanGPT/OceanGym.") \
        == set()
    assert kinds("We build on OceanGPT-2 and RemoteCLIPv2 features.") == set()


def test_an_unsafe_name_needs_a_second_signal() -> None:
    assert unsafe("RSP") and unsafe("S-DETR") and unsafe("AID") and not unsafe("RemoteCLIP")
    # "RSP" in another sense: no relation
    assert kinds("We compare against RSP, a random search planner, on three tasks.") == set()
    # the same name with a citation record of the entry, or two of its authors
    cited = (("doi:10.1109/tgrs.2022.3176603", "W4281293420"),)
    assert ("RSP", "compares_with") in kinds(
        "We compare against RSP, a random search planner, on three tasks.", cites=cited)
    assert kinds("Our model is initialised from RSP weights.",
                 authors=("Di Wang", "Jing Zhang")) == {("RSP", "builds_on")}
    # rs_candidates.jsonl:1040: a dataset listed with another (safe) dataset entry
    assert kinds("The method achieves the highest mean linear-probe accuracy among six backbones "
                 "on EuroSAT, AID, and NWPU-RESISC45.") == {("AID", "uses_dataset"),
                                                            ("NWPU-RESISC45", "uses_dataset")}
    # "AID" alone, no dataset word, no listed dataset: not trusted
    assert kinds("We propose AID, an adaptive instance detector.") == set()


def test_a_citation_record_and_a_new_version() -> None:
    cited = ((REMOTECLIP_KEY, "W4381929121"),)
    found = find_relations([Item("w", "A work", "Nothing named.", cites=cited)], ALL)
    assert [(r.kind, r.evidence) for r in found] == [
        ("cites", f"OpenAlex W4381929121 cites {REMOTECLIP_KEY}")]
    successor = Item("w", "RemoteCLIP-2: Scaling Vision Language Models", "",
                     ("Fan Liu", "Delong Chen"))
    assert [r.kind for r in find_relations([successor], ALL)] == ["new_version_of"]
    stranger = Item("w", "RemoteCLIP-2: Scaling Vision Language Models", "", ("A. Nother",))
    assert find_relations([stranger], ALL) == []


def test_entry_names_from_title_and_heading() -> None:
    assert entry_names("RemoteCLIP（视觉-文本联合多模态预训练遥感大模型）", REMOTECLIP_TITLE) == (
        "RemoteCLIP",)
    assert entry_names("百万级遥感场景识别数据集 MillionAID", "百万级遥感场景识别数据集 MillionAID") \
        == ("MillionAID",)
    assert entry_names("Prithvi", "Foundation Models for Generalist Geospatial AI") == (
        "Prithvi",)
    assert entry_names("复杂热带不稳定波的纯卫星数据驱动深度学习预测",
                       "Purely satellite data–driven deep learning forecast") == ()


def test_million_aid_with_a_hyphen_is_the_same_name() -> None:
    million = Target("url:x", "MillionAID", "百万级遥感场景识别数据集 MillionAID",
                     ("MillionAID",), (), True)
    found = find_relations([Item("w", "A work", "We pretrain on Million-AID and report.")],
                           [million])
    assert [r.kind for r in found] == ["uses_dataset"]


def test_a_successor_by_the_same_authors_is_a_new_version() -> None:
    # arxiv_stream.jsonl:6618: "DINOv3", by authors of DINOv2
    dinov3 = Item("w", "DINOv3", "This technical report introduces DINOv3, a major milestone.",
                  ("Oriane Siméoni", "Maxime Oquab", "Timothée Darcet", "Théo Moutakanni"))
    assert {r.kind for r in find_relations([dinov3], ALL)} == {"new_version_of"}
    # arxiv_stream.jsonl:9293: "SSDD" in another sense shares no author and is no dataset use
    ssdd = Target("doi:10.3390/rs13183690", "SSDD", "SAR Ship Detection Dataset (SSDD): Official "
                  "Release and Comprehensive Data Analysis", ("SSDD",), ("Tianwen Zhang",), True)
    other = Item("w", "SSDD: Single-Step Diffusion Decoder for Efficient Image Tokenization",
                 "Tokenizers are a key component of state-of-the-art generative image models.",
                 ("Théophane Vallaeys", "Jakob Verbeek", "Matthieu Cord"))
    assert find_relations([other], [ssdd]) == []


def test_the_relation_line_escapes_an_entry_name_and_keeps_only_web_links() -> None:
    from digests.relation_line import RelatedEntry, relation_markdown
    from digests.render import markdown_inline

    hostile = RelatedEntry("builds_on", "2.9", "[x](javascript:alert(1))<b>*", "javascript:x")
    line = relation_markdown([hostile, RelatedEntry("compares_with", "1.3", "OceanGPT",
                                                    "https://arxiv.org/abs/2310.02031")])
    assert line == (r"延续 2.9 \[x\]\(javascript:alert\(1\)\)<b>\*；"
                    "对比 [1.3 OceanGPT](https://arxiv.org/abs/2310.02031)")
    html = str(markdown_inline(line))
    assert 'href="javascript' not in html and "<b>" not in html
    assert '<a href="https://arxiv.org/abs/2310.02031">1.3 OceanGPT</a>' in html
