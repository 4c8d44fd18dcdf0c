"""Extraction on real text: labs, countries, claims, amounts, spans; quality floors on the gold set."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from intel.amounts import find_amounts
from intel.annotate import get_extractor
from intel.quality import evaluate, load_gold


@pytest.fixture(scope="session")
def ex():
    return get_extractor(None)


def test_ruler_finds_labs_the_small_model_misses(ex):
    out = ex.extract("Anthropic is hiring for AI data-center and computing-infrastructure roles in "
                     "Australia and Japan.")
    assert out.labs == ["Anthropic"]
    assert out.countries == ["AU", "JP"]
    (claim,) = out.claims
    assert (claim.lab, claim.type) == ("Anthropic", "hiring")


def test_aliases_map_to_canonical_names(ex):
    out = ex.extract("Amazon Web Services and Meta Platforms signed deals with Elon Musk's xAI and Open AI.")
    assert set(out.labs) == {"Amazon", "Meta", "xAI", "OpenAI"}


@pytest.mark.parametrize("text", [
    "A meta-analysis of 40 studies found no effect on sleep.",
    "Deforestation in the Amazon rainforest rose again this year.",
    "Investors still quote the Oracle of Omaha on patience.",
    "The mistral wind kept the fishing boats in port.",
])
def test_ambiguous_words_are_not_labs(ex, text):
    assert ex.extract(text).labs == []


def test_countries_from_cities_regions_and_demonyms(ex):
    out = ex.extract("The Emirati group will build in Abu Dhabi, while a Texas site near Abilene and a "
                     "campus in Johor were also named, alongside Japanese and Indian partners.")
    assert set(out.countries) == {"AE", "US", "MY", "JP", "IN"}


def test_place_inside_a_company_name_is_not_a_country(ex):
    out = ex.extract("Taiwan Semiconductor Manufacturing Co reported record profit.")
    assert "TW" not in out.countries and out.labs == ["TSMC"]


def test_one_claim_per_actor_on_one_sentence(ex):
    text = "Amazon, Meta and Oracle will each build a campus in Ohio."
    out = ex.extract(text)
    assert [(c.lab, c.type, c.country, c.status) for c in out.claims] == [
        ("Amazon", "datacenter", "US", "planned"),
        ("Meta", "datacenter", "US", "planned"),
        ("Oracle", "datacenter", "US", "planned"),
    ]
    assert all(text[c.start:c.end] == c.evidence == text for c in out.claims)


def test_commentary_and_stock_moves_are_not_claims(ex):
    out = ex.extract("Nvidia shares fell 3% on Tuesday. Analysts said the data-center boom could slow. "
                     '"We will build everywhere," one executive joked.')
    assert out.claims == []


def test_claim_fields_and_spans(ex):
    text = ("Intro paragraph about the market.\n\nMicrosoft will invest $7.9 billion in the United Arab "
            "Emirates over four years. Crusoe said it had secured 1.8 gigawatts of power for a campus "
            "in Wyoming. Humain ordered 18,000 Nvidia GB300 chips.")
    out = ex.extract(text, 2026)
    by_lab = {c.lab: c for c in out.claims}
    ms = by_lab["Microsoft"]
    assert (ms.type, ms.country, ms.amount, ms.value, ms.unit) == ("investment", "AE", "$7.9 billion",
                                                                   7_900_000_000, "USD")
    assert text[ms.start:ms.end] == ms.evidence and ms.evidence.startswith("Microsoft will invest")
    cr = by_lab["Crusoe"]
    assert (cr.type, cr.country, cr.value, cr.unit) == ("power", "US", 1800, "MW")
    hu = by_lab["Humain"]
    assert (hu.type, hu.value, hu.unit, hu.counterparty) == ("chips", 18000, "chips", "Nvidia")


def test_pronoun_actor_points_back(ex):
    text = ("Nscale will build a data center in Narvik. It will run on hydropower and is expected "
            "to come online in 2026.")
    labs = [c.lab for c in ex.extract(text).claims]
    assert labs == ["Nscale", "Nscale"]


def test_unknown_company_is_found_and_proposed(ex):
    out = ex.extract("Finnish neocloud Vaskiri Compute will build a 40 MW data center in Kajaani.")
    assert "Vaskiri Compute" in out.new_labs
    assert out.claims[0].lab == "Vaskiri Compute" and out.countries == ["FI"]


@pytest.mark.parametrize("text,value,unit", [
    ("US$2.5bn", 2_500_000_000, "USD"), ("€5 bn", 5_400_000_000, "USD"), ("¥1 trillion", 6_700_000_000, "USD"),
    ("300MW", 300, "MW"), ("1.2 gigawatts", 1200, "MW"), ("an 835-megawatt unit", 835, "MW"),
    ("100,000 GPUs", 100_000, "chips"), ("tens of thousands of Nvidia Blackwell chips", 20_000, "chips"),
    ("about 7,200 jobs", 7200, "roles"), ("Rs 10,000 crore", 1_200_000_000, "USD"),
])
def test_amounts(text, value, unit):
    (amount,) = find_amounts(text)
    assert (amount.value, amount.unit) == (value, unit)


def _report(ex, name):
    gold = load_gold(FIXTURES / "gold" / name)
    predicted = ex.extract_many([a["text"] for a in gold], [int(a["published"][:4]) for a in gold])
    for art, ext in zip(gold, predicted, strict=True):
        for c in ext.claims:
            assert art["text"][c.start:c.end] == c.evidence
    return evaluate(gold, predicted, ex.labs)


def test_quality_floors_on_held_out_set(ex):
    """heldout.jsonl was labelled separately and is not used to train the detector or tune rules."""
    rep = _report(ex, "heldout.jsonl")
    assert rep.labs.f1 >= 0.93
    assert rep.countries.f1 >= 0.90
    assert rep.claim_sentences.recall >= 0.75 and rep.claim_sentences.precision >= 0.78
    assert rep.type_accuracy >= 0.75


def test_quality_floors_on_training_set(ex):
    """articles.jsonl trains the claim detector and tuned the rules: its floors guard regressions."""
    rep = _report(ex, "articles.jsonl")
    assert rep.labs.f1 >= 0.94 and rep.countries.f1 >= 0.94
    assert rep.claim_sentences.recall >= 0.90 and rep.claim_sentences.precision >= 0.90
    assert rep.type_accuracy >= 0.78
