"""Offline triage: rules, classifier, summaries, eval scoring, run_triage without an LLM."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from seascout.core.model import Kind, Label, Provenance, Work
from triage.classifier import OUT_OF_FIELDS, Doc, OfflineClassifier
from triage.eval_run import run_eval
from triage.evaluate import cross_validate, evaluate, load_labelled, stream_figures
from triage.run import run_triage
from triage.summarise import lead_summary
from triage.text import untex
from triage.trained import trained_classifier
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
    preds = trained_classifier().predict(WORKS)
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
    preds = trained_classifier().predict(works)
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
    from seascout.core.model import Classification

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
    clf = trained_classifier()
    s = evaluate(items, lambda ws: [p.label for p in clf.predict(ws)])
    assert s.relevance.f1 == 1.0 and s.macro_f1 == 1.0 and s.n == 20

    def fit_predict(train, test):  # type: ignore[no-untyped-def]
        m = OfflineClassifier(use_embeddings=False).fit_examples(
            [(Doc.of_work(it.work), it.label) for it in train])
        return [p.label for p in m.predict(test)]

    runs = cross_validate(items, fit_predict, k=2)
    assert runs[0].n == 20 and runs[0].macro_f1 > 0.9


# -- the real stream's traps (synthetic texts written for these tests) ------------------------
def test_items_naming_none_of_the_fields_are_irrelevant_without_a_model_call() -> None:
    works = [make_work("arxiv:9", "Sparse attention for long-context language models",
                       "We make transformers cheaper on long documents with a learned sparse attention.")]
    (p,) = trained_classifier().predict(works)
    assert p.label is Label.IRRELEVANT and p.reason == OUT_OF_FIELDS and p.relevance == 0.0


def test_words_the_field_shares_with_other_fields_do_not_make_an_entry() -> None:
    works = [
        make_work("arxiv:11", "Detecting sarcasm in social media posts with a vision-language model",
                  "A multimodal large language model reads memes and captions to detect SArcasm and irony."),
        make_work("arxiv:12", "Retinal vessel segmentation with a foundation model",
                  "We adapt a pretrained vision foundation model to segment blood vessels in fundus images."),
        make_work("arxiv:13", "TIDE: temporal inference for diffusion editing",
                  "TIDE is a training-free method that edits videos with a pretrained diffusion model."),
        make_work("arxiv:14", "Ultrasonic waves for non-destructive testing with deep learning",
                  "A neural network reconstructs defects from ultrasonic and millimetre waves."),
        make_work("arxiv:15", "Underwater image enhancement with a marine diffusion prior",
                  "We restore colour in underwater photographs of marine scenes with a generative network."),
    ]
    preds = trained_classifier().predict(works)
    assert [p.label for p in preds] == [Label.IRRELEVANT] * 5, [(p.label, p.reason) for p in preds]


def test_tex_accents_in_arxiv_abstracts_read_as_letters() -> None:
    assert untex(r"onsets of La Ni\~na and El Ni\~no") == "onsets of La Niña and El Niño"
    assert untex(r'M\"{u}ller and Schr\"odinger') == "Müller and Schrödinger"


def test_trained_classifier_is_fit_once_and_reloaded_from_disk(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import triage.trained as trained

    monkeypatch.delenv("SEASCOUT_MODEL_CACHE")
    monkeypatch.setattr(trained, "_MEMO", {})
    fits = []
    real_fit = OfflineClassifier.fit
    monkeypatch.setattr(OfflineClassifier, "fit", lambda self, *a: fits.append(1) or real_fit(self, *a))
    extra = [(Doc("Ocean model", "An AI ocean model forecasts sea surface temperature."), Label.OCEAN_MODELS)]
    first = trained.trained_classifier(extra, cache_dir=tmp_path)
    assert len(fits) == 1 and len(list(tmp_path.glob("offline-*.pkl"))) == 1
    monkeypatch.setattr(trained, "_MEMO", {})
    again = trained.trained_classifier(extra, cache_dir=tmp_path)
    assert len(fits) == 1 and again is not first  # loaded from the file, not refit
    assert [p.label for p in again.predict(WORKS)] == [p.label for p in first.predict(WORKS)]


def _stream_file(path: Path) -> None:
    rows = [
        {"record_id": "s1", "arxiv_id": "2601.00101", "title": WORKS[1].title, "abstract": WORKS[1].abstract,
         "label": "rs_foundation_models", "alt_label": None},
        {"record_id": "s2", "arxiv_id": "2601.00102", "title": WORKS[2].title, "abstract": WORKS[2].abstract,
         "label": "irrelevant", "alt_label": "ship_detection"},  # alt label: right either way
        {"record_id": "s3", "arxiv_id": "2601.00103", "title": WORKS[0].title, "abstract": WORKS[0].abstract,
         "label": "irrelevant", "alt_label": None},  # a wrong entry
    ]
    rows += [{"record_id": f"n{i}", "arxiv_id": f"2601.{200 + i:05d}",
              "title": f"Generic language model study {i}",
              "abstract": "Tokenisers and prompts for chat assistants.",
              "label": "irrelevant", "alt_label": None} for i in range(7)]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")


def test_eval_reports_lenient_figures_wrong_entries_a_week_and_writes_predictions(tmp_path: Path) -> None:
    path, out = tmp_path / "stream.jsonl", tmp_path / "pred.jsonl"
    _stream_file(path)
    result = run_eval(path, trained_classifier(), k=0, daily_volume=1000, predictions=out)
    f = result.figures
    assert (f.n, f.relevant, f.false_entries) == (10, 1, 1)
    assert f.strict.precision == 1 / 3 and f.lenient.precision == 2 / 3 and f.lenient.recall == 1.0
    assert f.wrong_per_week == 1 / 10 * 1000 * 5
    assert result.cascade.sent == 3 and result.cascade.relevant_sent == 1
    text = result.describe()
    assert "relevance, lenient  P 0.667" in text and "500.0 wrong entries a week" in text
    assert "checked against it" not in text  # only printed for the files the rules were tuned on
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["record_id"] for r in rows][:3] == ["s1", "s2", "s3"]
    assert rows[1] | {"confidence": 0, "relevance": 0, "reason": ""} == {
        "record_id": "s2", "title": WORKS[2].title, "label": "irrelevant", "alt_label": "ship_detection",
        "predicted": "ship_detection", "confidence": 0, "relevance": 0, "reason": ""}
    assert all(r["reason"] for r in rows)


def test_stream_figures_count_an_alt_label_as_right_either_way() -> None:
    from triage.evaluate import LabelledItem

    a = LabelledItem(WORKS[1], Label.RS_FOUNDATION_MODELS, Label.IRRELEVANT)
    b = LabelledItem(WORKS[2], Label.SHIP_DETECTION)
    f = stream_figures([a, b], [Label.IRRELEVANT, Label.SHIP_DETECTION])
    assert f.lenient.recall == 1.0 and f.strict.recall == 0.5 and f.in_section == 1
