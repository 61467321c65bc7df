"""Offline triage: rules, classifier, summaries, eval scoring, run_triage without an LLM."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from seascout.model import Kind, Label, Provenance, Work
from triage.classifier import OfflineClassifier
from triage.evaluate import cross_validate, evaluate, load_labelled
from triage.run import run_triage
from triage.summarise import lead_summary
from warehouse.triage_store import save_results
from warehouse.works import upsert_works

NOW = datetime(2026, 1, 5)


def make_work(key: str, title: str, abstract: str, kind: Kind = Kind.PREPRINT, language: str = "en") -> Work:
    return Work(ids=[key], title=title, abstract=abstract, kind=kind, language=language,
                provenance=[Provenance("arxiv_api", "test", NOW)])


WORKS = [
    make_work("arxiv:2601.00001", "A neural ocean forecasting system for global sea surface temperature",
              "We present a deep learning model that forecasts ocean temperature and currents. "
              "It beats numerical ocean models at a fraction of the cost."),
    make_work("arxiv:2601.00002", "Masked autoencoder pretraining for a remote sensing foundation model",
              "A foundation model pretrained on satellite imagery transfers to many remote sensing tasks."),
    make_work("arxiv:2601.00003", "Rotated ship detection in SAR images with a transformer",
              "We detect ships in synthetic aperture radar imagery with a transformer detector."),
    make_work("arxiv:2601.00004", "Graph networks for medium-range weather forecasting",
              "A data-driven weather model trained on atmospheric reanalysis predicts precipitation."),
    make_work("url:https://example.cn/news/1", "海洋大模型研讨会在青岛召开",
              "研讨会在青岛召开，专家围绕海洋人工智能与海洋大模型的应用展开讨论，并发布了新的研究成果。",
              kind=Kind.NEWS, language="zh"),
]
EXPECTED = [Label.OCEAN_MODELS, Label.RS_FOUNDATION_MODELS, Label.SHIP_DETECTION, Label.IRRELEVANT,
            Label.NEWS]


def test_classifier_follows_the_sections_and_boundary_rules() -> None:
    preds = OfflineClassifier(use_embeddings=False).fit_examples().predict(WORKS)
    assert [p.label for p in preds] == EXPECTED
    assert all(0 < p.confidence <= 1 and p.reason for p in preds)


def test_ais_trajectories_and_task_specific_rs_are_irrelevant() -> None:
    works = [
        make_work("arxiv:1", "Vessel trajectory anomaly detection from AIS data with recurrent networks",
                  "We model vessel movement from AIS messages with LSTMs to detect anomalies."),
        make_work("arxiv:2", "Building extraction from aerial images with a U-Net",
                  "A deep network segments buildings in high-resolution remote sensing images."),
        make_work("arxiv:3", "Seasonal variability of the ocean's overturning circulation",
                  "Mooring observations show a slowdown of the ocean circulation over two decades."),
    ]
    preds = OfflineClassifier(use_embeddings=False).fit_examples().predict(works)
    assert [p.label for p in preds] == [Label.IRRELEVANT] * 3


def test_lead_summary_keeps_language_and_title() -> None:
    s = lead_summary(WORKS[0])
    assert s.language == "en" and s.method == "lead" and s.title_zh is None
    assert s.summary.startswith("We present a deep learning model")
    zh = lead_summary(WORKS[4])
    assert zh.language == "zh" and zh.title_zh == WORKS[4].title and len(zh.summary) <= 300


def test_run_triage_offline_labels_everything_once(warehouse, settings) -> None:  # type: ignore[no-untyped-def]
    upsert_works(warehouse, WORKS, now=NOW)
    report = run_triage(settings, warehouse, use_embeddings=False)
    assert report.classified == 5 and report.llm_calls == 0 and report.model == "offline"
    assert report.counts == {"ocean_models": 1, "rs_foundation_models": 1, "ship_detection": 1,
                             "irrelevant": 1, "news": 1}
    with warehouse.read() as con:
        rows = dict(con.execute("SELECT work_id, label FROM classifications").fetchall())
        methods = {r[0] for r in con.execute("SELECT method FROM summaries").fetchall()}
    assert rows["arxiv:2601.00003"] == "ship_detection" and methods == {"lead"}
    assert run_triage(settings, warehouse, use_embeddings=False).classified == 0


def test_seed_classifications_are_never_replaced(warehouse, settings) -> None:  # type: ignore[no-untyped-def]
    from seascout.model import Classification

    upsert_works(warehouse, WORKS[3:4], now=NOW)
    save_results(warehouse, [Classification("arxiv:2601.00004", Label.OCEAN_MODELS, 1.0, "seed")], [])
    assert run_triage(settings, warehouse, use_embeddings=False).classified == 0
    save_results(warehouse, [Classification("arxiv:2601.00004", Label.IRRELEVANT, 0.9, "offline")], [])
    with warehouse.read() as con:
        rows = con.execute("SELECT label, method FROM classifications").fetchall()
    assert rows == [("ocean_models", "seed")]


def _write_labelled(path: Path) -> None:
    rows = []
    for i, (w, lb) in enumerate(zip(WORKS * 4, EXPECTED * 4, strict=True)):
        rows.append({"record_id": f"r{i}", "arxiv_id": None if w.kind is Kind.NEWS else f"2601.{i:05d}",
                     "doi": None, "other_id": w.ids[0] if w.kind is Kind.NEWS else None,
                     "title": w.title, "abstract": w.abstract, "label": lb.value, "alt_label": None,
                     "language": w.language})
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")


def test_eval_scores_and_cross_validation(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    _write_labelled(path)
    items = load_labelled(path)
    assert items[4].work.kind is Kind.NEWS
    clf = OfflineClassifier(use_embeddings=False).fit_examples()
    s = evaluate(items, lambda ws: [p.label for p in clf.predict(ws)])
    assert s.relevance.f1 == 1.0 and s.macro_f1 == 1.0 and s.n == 20

    def fit_predict(train, test):  # type: ignore[no-untyped-def]
        from triage.classifier import Doc

        m = OfflineClassifier(use_embeddings=False).fit_examples(
            [(Doc.of_work(it.work), it.label) for it in train])
        return [p.label for p in m.predict(test)]

    runs = cross_validate(items, fit_predict, k=4)
    assert runs[0].n == 20 and runs[0].macro_f1 > 0.9
