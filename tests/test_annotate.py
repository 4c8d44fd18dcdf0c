"""Extraction in the pipeline: stored mentions and claims, idempotent rebuild, export fields, migration."""

from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner
from sqlmodel import Session, select

from intel.annotate import annotate, extractor_version
from intel.cli import cli
from intel.config import load_settings
from intel.demo import run_demo
from intel.export import iter_records
from intel.store import Claim, Mention, count_articles, open_store


def _counts(engine):
    with Session(engine) as s:
        return len(s.exec(select(Mention)).all()), len(s.exec(select(Claim)).all())


def test_sample_extracted_idempotently_and_exported(tmp_path):
    settings = load_settings(env={}, data_dir=tmp_path / "d")
    engine, _ = run_demo(settings)
    first = annotate(engine, settings)
    assert first.articles >= 80 and first.claims > 100
    assert annotate(engine, settings).articles == 0  # nothing pending
    before = _counts(engine)
    rebuilt = annotate(engine, settings, rebuild=True)
    assert rebuilt.articles == first.articles and _counts(engine) == before
    records = list(iter_records(engine))
    labs = {lab for r in records for lab in r["labs"]}
    countries = {c for r in records for c in r["countries"]}
    assert len(labs) >= 15 and len(countries) >= 15
    assert {"OpenAI", "Anthropic", "Microsoft", "Amazon", "Meta", "xAI", "Nvidia"} <= labs
    claims = [c for r in records for c in r["claims"]]
    assert {c["type"] for c in claims} >= {"datacenter", "chips", "power", "investment", "compute_deal"}
    for r in records:
        for c in r["claims"]:
            assert r["text"][c["start"]:c["end"]] == c["evidence"]
    with Session(engine) as s:
        versions = set(s.exec(select(Claim.extractor)).all())
    assert versions == {extractor_version()}


def test_cli_extract_and_labs(tmp_path):
    settings = load_settings(env={}, data_dir=tmp_path / "d")
    run_demo(settings)
    runner = CliRunner()
    res = runner.invoke(cli, ["--data-dir", str(tmp_path / "d"), "extract"])
    assert res.exit_code == 0 and "extracted" in res.output
    res = runner.invoke(cli, ["--data-dir", str(tmp_path / "d"), "labs", "--json"])
    names = [row["name"] for row in json.loads(res.output)]
    assert "Vaskiri Compute" in names  # the sample's fictional neocloud, not in the gazetteer
    res = runner.invoke(cli, ["--data-dir", str(tmp_path / "d"), "export", "--format", "csv"])
    assert res.exit_code == 0 and "labs,countries,claims" in res.output.splitlines()[0]


def test_migration_from_first_schema(tmp_path):
    settings = load_settings(env={}, data_dir=tmp_path / "old")
    open_store(settings)
    con = sqlite3.connect(tmp_path / "old" / "intel.db")
    con.executescript("DROP TABLE claim; DROP TABLE mention; DROP INDEX ix_article_extracted_with;"
                      "ALTER TABLE article DROP COLUMN extracted_with; DROP TABLE passage_fts;"
                      "DROP TABLE passage; DROP INDEX ix_article_indexed; ALTER TABLE article DROP COLUMN indexed;"
                      "DELETE FROM _migrations WHERE name IN ('m002_extraction', 'm003_passages');")
    con.commit()
    con.close()
    engine = open_store(settings)
    assert _counts(engine) == (0, 0)
    con = sqlite3.connect(tmp_path / "old" / "intel.db")
    cols = {r[1] for r in con.execute("PRAGMA table_info(article)")}
    assert {"extracted_with", "indexed"} <= cols
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}
    assert {"passage", "passage_fts", "passage_ai", "passage_ad", "claim", "mention"} <= tables


def test_typer_vectors_setting_re_extracts_under_its_own_version(tmp_path):
    """INTEL_TYPER_VECTORS=false types claims from words and cues only; its claims carry their own
    version tag, so turning vectors off and on again re-extracts every article with the same
    sentences and actors, only (some) types differ."""
    on = load_settings(env={}, data_dir=tmp_path / "d")
    engine, _ = run_demo(on)
    annotate(engine, on)

    def claims():
        with Session(engine) as s:
            return sorted((c.article_id, c.start, c.end, c.lab, c.type, c.extractor) for c in s.exec(select(Claim)))

    with_vectors = claims()
    off = load_settings(env={"INTEL_TYPER_VECTORS": "false"}, data_dir=tmp_path / "d")
    assert off.typer_vectors is False
    report = annotate(engine, off)
    assert report.articles == count_articles(engine)  # every article re-extracted
    without = claims()
    assert {c[5] for c in without} == {extractor_version(False)} != {extractor_version(True)}
    assert [c[:4] for c in without] == [c[:4] for c in with_vectors]
    assert any(a[4] != b[4] for a, b in zip(with_vectors, without, strict=True))
    assert annotate(engine, off).articles == 0
    annotate(engine, on)
    assert claims() == with_vectors
