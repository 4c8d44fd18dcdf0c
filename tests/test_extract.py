"""Extraction on real text: labs, countries, claims, amounts, spans; quality floors on the gold set."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from intel.actors import ActorContext, LabRef
from intel.amounts import find_amounts
from intel.annotate import get_extractor
from intel.claims import UNIT_FOR
from intel.extract import Extractor
from intel.quality import evaluate, load_gold
from intel.typer import TYPES, classify, load_typer, type_cues


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


def test_company_subject_points_to_the_latest_sole_subject_not_a_product_maker(ex):
    text = ("Humain will build two data centers in Riyadh and Dammam. The first 18,000 Nvidia GB300 chips "
            "will be installed there by June. The company plans to add 600 megawatts of capacity by 2030.")
    assert [c.lab for c in ex.extract(text, 2025).claims] == ["Humain"] * 3


def test_pronoun_after_a_passive_points_to_its_agents(ex):
    text = ("The campus is being developed by Nscale and Aker through a joint venture near Narvik. "
            "It will initially have 230 megawatts of capacity.")
    claims = ex.extract(text, 2025).claims
    assert [(c.lab, c.type) for c in claims] == [("Nscale", "datacenter"), ("Aker", "datacenter")] * 2


def test_pronoun_follows_the_paragraph_that_switched_company(ex):
    text = ("Crusoe said on Monday it would build a campus in Wyoming.\n\nOracle has signed a lease for the "
            "first building. It will also buy 50,000 Nvidia chips for the site.")
    assert [(c.lab, c.type) for c in ex.extract(text, 2025).claims] == [
        ("Crusoe", "datacenter"), ("Oracle", "datacenter"), ("Oracle", "chips")]


def test_actor_context_resolution_order():
    ctx = ActorContext(main="Main")
    assert ctx.resolve("it") == ["Main"]
    ctx.observe([LabRef("A", 0, 1)], ["A"], ["A"])  # "A will build ..."
    assert ctx.resolve("it") == ctx.resolve("company") == ctx.resolve("project") == ["A"]
    ctx.observe([LabRef("B", 0, 1), LabRef("C", 2, 3)], [], ["B", "C"])  # "... developed by B and C"
    assert ctx.resolve("it") == ["B", "C"]
    assert ctx.resolve("company") == ["A"]  # the latest sole subject
    ctx.observe([LabRef("D", 0, 1)], [], [])  # "For D, the deal marks a leap."
    assert ctx.resolve("it") == ["D"]
    assert ctx.resolve("project") == ["A"]  # the latest single-actor claim


def test_each_actor_is_typed_by_its_own_clause(ex):
    out = ex.extract("Nvidia will invest up to $100 billion in OpenAI, and OpenAI will deploy millions of "
                     "Nvidia GPUs.", 2025)
    assert [(c.lab, c.type) for c in out.claims] == [("Nvidia", "investment"), ("OpenAI", "chips")]
    out = ex.extract("Microsoft and Nvidia will invest up to $15 billion in Anthropic, which in turn committed "
                     "to buy $30 billion of computing capacity on Microsoft's Azure cloud.", 2025)
    assert [(c.lab, c.type) for c in out.claims] == [("Microsoft", "investment"), ("Nvidia", "investment")]


@pytest.mark.parametrize("text,expected", [
    ("Google will invest $9 billion to build a data center in South Carolina.", "investment"),
    ("The county approved Meta's $800 million data center, to be built in two phases.", "datacenter"),
    ("Amazon Web Services will open a new cloud region in Chile by the end of 2026.", "expansion"),
    ("Samsung will build a second chip fabrication plant in Taylor, Texas.", "expansion"),
    ("Meta signed a power purchase agreement for the output of a nuclear plant to supply its data centers.",
     "power"),
    ("Arm, Broadcom and Nvidia were named as technology partners for the Korean sites.", "partnership"),
    ("Cohere will rent GPU capacity from CoreWeave in Canada.", "compute_deal"),
    ("AMD will supply OpenAI with graphics processors totalling 6 gigawatts of computing power.", "chips"),
    ("The campus will employ about 300 people once it is running.", "hiring"),
    ("The company also plans to explore building small modular reactors in the state.", "power"),
])
def test_type_rules_follow_the_gold_guidelines(text, expected):
    assert classify(text) == expected


def test_typer_loads_and_fills_in_where_the_rules_have_no_type(tmp_path):
    typer = load_typer()
    assert typer is not None and set(typer.types) == set(TYPES)
    text = "The contract could rise to about $19 billion if the customer takes additional services."
    rule_type = classify(text)
    probs = typer.probabilities(text, type_cues(text, rule_type))
    assert abs(sum(probs.values()) - 1) < 1e-9
    best = max(probs, key=probs.__getitem__)
    assert typer.decide(text, type_cues(text, None), None) in TYPES
    assert typer.decide(text, type_cues(text, best), best) == best  # a rule type the model agrees with stands
    assert load_typer(tmp_path / "absent.json") is None


def test_typer_embedding_head_changes_types_through_the_extractor(ex):
    """The shipped typer mixes in its sentence-vector head; the extractor embeds each claim's typing
    basis in one batch and decides again, keeping evidence, actors and spans."""
    typer = load_typer()
    assert typer is not None and typer.uses_vectors and typer.embed_model
    assert ex.embedder is not None
    gold = load_gold(FIXTURES / "gold" / "heldout2.jsonl")[:12]
    texts, years = [a["text"] for a in gold], [int(a["published"][:4]) for a in gold]
    with_vectors = ex.extract_many(texts, years)
    plain = Extractor(vectors=False)
    assert plain.embedder is None
    without = plain.extract_many(texts, years)
    changed = 0
    for a, b in zip(with_vectors, without, strict=True):
        assert len(a.bases) == len(a.claims)
        assert [(c.lab, c.start, c.end) for c in a.claims] == [(c.lab, c.start, c.end) for c in b.claims]
        for ca, cb in zip(a.claims, b.claims, strict=True):
            if ca.type != cb.type:
                changed += 1
                # the amount follows the new type (a chip count for chips, dollars for investment, ...)
                assert ca.amount is None or ca.unit in (None, UNIT_FOR[ca.type], "USD", "MW", "chips")
    assert changed > 0  # the vector head does decide some types differently from words and cues alone
    # the vector moves the probabilities
    basis = with_vectors[0].bases[0]
    vector = ex.embedder.encode([basis.text])[0]
    cues = type_cues(basis.text, basis.rule_type)
    assert typer.probabilities(basis.text, cues, vector) != typer.probabilities(basis.text, cues)


def test_retype_recomputes_the_amount_for_the_new_type():
    from intel.claims import Claim, TypeBasis, _pick_type, retype
    from intel.embed import get_embedder

    text = "Nebius will deploy 20,000 Nvidia GPUs at a new 100 MW campus in Finland."
    typer = load_typer()
    word_type, basis = _pick_type(text, classify(text))
    assert basis.probs is not None and word_type in TYPES
    vector = get_embedder(typer.embed_model).encode([text], max_tokens=typer.max_tokens)[0]
    expected = typer.decide_mixed(basis.probs, basis.rule_type, vector)
    for start_type, amount in (("datacenter", ("100 MW", 100, "MW")), ("chips", ("20,000", 20_000, "chips"))):
        claim = Claim(lab="Nebius", type=start_type, evidence=text, start=0, end=len(text), amount=amount[0],
                      value=amount[1], unit=amount[2])
        retype(claim, basis, vector)
        assert claim.type == expected
        assert (claim.value, claim.unit) == ((100, "MW") if expected == "datacenter" else
                                             (20_000, "chips") if expected == "chips" else (claim.value, claim.unit))
    # without word-head probabilities (no typer when the claim was made) the type stands
    claim = Claim(lab="Nebius", type="power", evidence=text, start=0, end=len(text))
    retype(claim, TypeBasis(text, None), vector)
    assert claim.type == "power"


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


def test_quality_floors_on_third_held_out_set(ex):
    """heldout3.jsonl: 40 articles written and labelled by two helpers who saw no code and no other gold
    set, measured once after the detector and typer.v3 were frozen (docs/quality.md). The blind measure."""
    rep = _report(ex, "heldout3.jsonl")
    assert rep.labs.f1 >= 0.96 and rep.countries.f1 >= 0.96  # measured 0.978 (0.983 with the later gazetteer additions), 0.979
    assert rep.claim_sentences.recall >= 0.88 and rep.claim_sentences.precision >= 0.80  # 0.907, 0.823
    assert rep.claims.precision >= 0.77 and rep.claims.recall >= 0.82  # 0.792, 0.840
    assert rep.type_accuracy >= 0.87  # measured 0.887 (typer.v2 scored 0.817 here): the aim is 0.85


def test_quality_floors_on_fourth_held_out_set(ex):
    """heldout4.jsonl: 40 more articles by two further helpers (no code, no other gold set), written
    while typer.v3 was frozen and measured once after the gazetteer additions (docs/quality.md)."""
    rep = _report(ex, "heldout4.jsonl")
    assert rep.labs.f1 >= 0.96 and rep.countries.f1 >= 0.94  # measured 0.974, 0.953
    assert rep.claim_sentences.recall >= 0.90 and rep.claim_sentences.precision >= 0.83  # 0.927, 0.851
    assert rep.claims.precision >= 0.79 and rep.claims.recall >= 0.85  # 0.812, 0.874
    assert rep.type_accuracy >= 0.86  # measured 0.872 (typer.v2 scored 0.814 here): the aim is 0.85


def test_quality_floors_on_held_out_sets_now_in_training(ex):
    """heldout.jsonl and heldout2.jsonl were blind measures once; both now train the detector and the
    typer, so these floors only guard regressions (their blind figures are in docs/quality.md)."""
    rep = _report(ex, "heldout.jsonl")  # type accuracy 0.845 blind with rules.v3, 0.993 with typer.v3
    assert rep.labs.f1 >= 0.93 and rep.countries.f1 >= 0.92
    assert rep.claim_sentences.recall >= 0.90 and rep.claim_sentences.precision >= 0.90
    assert rep.claims.precision >= 0.78 and rep.claims.recall >= 0.76
    assert rep.type_accuracy >= 0.95
    rep = _report(ex, "heldout2.jsonl")  # type accuracy 0.764 blind with typer.v2, 0.983 with typer.v3
    assert rep.labs.f1 >= 0.94 and rep.countries.f1 >= 0.93
    assert rep.claim_sentences.recall >= 0.92 and rep.claim_sentences.precision >= 0.84
    assert rep.claims.precision >= 0.75 and rep.claims.recall >= 0.85
    assert rep.type_accuracy >= 0.95


def test_quality_floors_on_training_set(ex):
    """articles.jsonl trains the claim detector and typer and tuned the rules: its floors guard regressions."""
    rep = _report(ex, "articles.jsonl")  # type accuracy 0.883 with typer.v1, 0.975 v2, 0.980 v3
    assert rep.labs.f1 >= 0.94 and rep.countries.f1 >= 0.94
    # detection precision 0.929 with the detector trained on this set alone, 0.891 trained on all 13 sets
    assert rep.claim_sentences.recall >= 0.94 and rep.claim_sentences.precision >= 0.87
    assert rep.claims.precision >= 0.82 and rep.claims.recall >= 0.83
    assert rep.type_accuracy >= 0.86
