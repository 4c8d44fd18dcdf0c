"""Infrastructure claims in a sentence: is it one, of which type, by whom, where, how much.

Rules over the spaCy parse (subjects, conjunctions) and keyword patterns; each claim has one
actor, so a sentence with three subject labs yields three claims. The rule set is versioned:
change CLAIM_RULES when behaviour changes, so stored claims can be told apart and rebuilt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intel.amounts import Amount, find_amounts
from intel.detector import load_detector

if TYPE_CHECKING:
    from spacy.tokens import Span

CLAIM_RULES = "rules.v2+tfidf-lr.v1"
TYPES = ("datacenter", "compute_deal", "chips", "power", "investment", "hiring", "expansion",
         "partnership")


def _rx(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.I)


SIGNALS = {
    "hiring": _rx(r"hir(?:e|es|ed|ing)", r"recruit\w*", r"jobs", r"roles", r"positions",
                  r"job openings", r"employ(?:s|ed)? about", r"engineers", r"workforce"),
    "chips": _rx(r"GPUs?", r"chips?", r"accelerators?", r"TPUs?", r"Blackwell", r"Hopper", r"Rubin",
                 r"H[12]00s?", r"H20s?", r"GB[23]00s?", r"MI\d{3}\w*", r"Trainium\w*", r"Ascend",
                 r"semiconductors?", r"wafers?", r"fabs?", r"foundry", r"superchips?", r"processors",
                 r"graphics processing units", r"memory", r"DRAM", r"Instinct", r"servers",
                 r"export (?:licen[cs]es?|controls?)", r"HBM", r"memory chips"),
    "power": _rx(r"power purchase", r"PPAs?", r"electricity", r"nuclear", r"reactors?", r"SMRs?",
                 r"gas turbines?", r"turbines", r"hydropower", r"hydro", r"solar", r"wind (?:farm|power)",
                 r"geothermal", r"grid", r"substation", r"power plant", r"fuel cells?",
                 r"energy (?:supply|deal|agreement)", r"power (?:supply|deal|agreement|capacity)",
                 r"behind the meter", r"utility", r"natural gas", r"battery storage"),
    "compute_deal": _rx(r"cloud (?:contract|deal|agreement|services|computing|capacity|infrastructure)",
                        r"computing (?:capacity|power|services|infrastructure)", r"compute (?:capacity|deal|contract)",
                        r"Azure services", r"offtake", r"right of first refusal", r"GPU infrastructure",
                        r"capacity (?:deal|agreement|contract)", r"rent(?:s|ed|ing)? (?:servers|GPUs|capacity)",
                        r"buy (?:cloud|computing|compute)", r"cloud provider"),
    "datacenter": _rx(r"data[- ]?cent(?:er|re)s?", r"datacent(?:er|re)s?", r"campus(?:es)?", r"facility",
                      r"facilities", r"hyperscale", r"colocation", r"AI factor(?:y|ies)", r"supercomputers?",
                      r"clusters?", r"superclusters?", r"server farms?", r"buildings?", r"sites?", r"capacity",
                      r"come online", r"go live", r"came online", r"first phase", r"construction",
                      r"(?:AI|artificial-intelligence) (?:center|centre|hub)", r"cable landing station"),
    "investment": _rx(r"invest(?:s|ed|ing|ment|ments)?", r"capex", r"capital[- ]expenditures?",
                      r"capital spending", r"spend(?:s|ing)?", r"funding", r"financing", r"raise[sd]?",
                      r"fund(?:s|ed)?", r"funders?", r"backers?", r"debt", r"equity", r"commitment",
                      r"pledge[sd]?", r"budget\w*", r"stake", r"acquir\w+", r"acquisition",
                      r"buy(?:s|ing)? (?:a|the) \w+ (?:stake|company|firm)"),
    "expansion": _rx(r"regions?", r"expand(?:s|ed|ing)? (?:into|to)", r"enter(?:s|ed|ing)?",
                     r"launch(?:es|ed)? in", r"for Countries", r"AI Zone", r"new markets?",
                     r"first (?:\w+ )?in (?:the )?[A-Z]\w+", r"expansion"),
    "partnership": _rx(r"partner(?:s|ship|ships|ed|ing)?", r"joint venture", r"tie-ups?", r"collaborat\w+",
                       r"alliance", r"take part", r"memorandum", r"MoU", r"letter of intent",
                       r"consortium", r"team(?:s|ed)? up"),
}
COMMENTARY = _rx(r"shares? (?:of \w+ )?(?:rose|fell|jumped|slid|dropped|climbed|gained|lost|tumbled|surged|sank)",
                 r"stock (?:rose|fell|jumped|slid|dropped|price)", r"analysts? (?:said|say|says|expect\w*|note\w*|warn\w*)",
                 r"market (?:value|capitali[sz]ation|cap)", r"valuation", r"bubble", r"investors (?:worr\w+|fear\w*)",
                 r"price target", r"per share", r"sell-off", r"rall(?:y|ied)", r"Nasdaq", r"S&P 500")
STATUS = [
    ("cancelled", _rx(r"cancel\w*", r"scrap\w*", r"abandon\w*", r"halt\w*", r"shelv\w+", r"pull(?:ed)? out")),
    ("operational", _rx(r"operational", r"came online", r"come online", r"went live", r"is running",
                        r"has been running", r"began operations", r"in operation", r"now (?:runs|hosts|operates)",
                        r"switched on", r"opened")),
    ("under construction", _rx(r"under construction", r"broke ground", r"break(?:s|ing)? ground",
                               r"began construction", r"construction (?:is )?(?:already )?under ?way",
                               r"is building", r"are building", r"being built")),
    ("planned", _rx(r"plan(?:s|ned|ning)?", r"will", r"intends?", r"expect\w*", r"propos\w+", r"aims?",
                    r"would", r"is (?:said to be )?in talks", r"considering", r"hopes?", r"targeted",
                    r"due to", r"set to", r"is to", r"are to", r"may", r"preparing")),
    ("announced", _rx(r"announc\w+", r"unveil\w*", r"signed", r"agreed", r"said", r"struck", r"committed",
                      r"awarded", r"secured", r"selected", r"chose")),
]
STRONG_POWER = re.compile(r"\b(?:secur\w+|suppl\w+|buy\w*|bought|purchas\w+|deliver\w*|provid\w+|sign\w+)\b"
                          r".{0,40}?\b(?:power|electricity|energy)\b(?! (?:of|for) (?:AI|its|the) "
                          r"(?:chips|GPUs|models))", re.I)
UNIT_FOR = {"power": "MW", "chips": "chips", "hiring": "roles", "investment": "USD",
            "compute_deal": "USD", "datacenter": "MW", "partnership": "USD", "expansion": "USD"}
QUOTE_OR_OPINION = _rx(r"analysts?", r"investors (?:are|were|worr\w+|fear\w*|watch\w*)", r"critics", r"questioned", r"cautioned", r"skeptic\w*",
                       r"sceptic\w*", r"opinion", r"wrote on", r"argued")


@dataclass(frozen=True)
class LabRef:
    """A lab mentioned in the sentence: its canonical name and character span in the article."""

    name: str
    start: int
    end: int


@dataclass
class Claim:
    """One actor's infrastructure action or plan, with its evidence span."""

    lab: str
    type: str
    evidence: str
    start: int
    end: int
    counterparty: str | None = None
    country: str | None = None
    status: str | None = None
    amount: str | None = None
    value: float | None = None
    unit: str | None = None


def classify(text: str) -> str | None:
    """The claim type a sentence's wording points to, or None when it states no infra action."""
    if COMMENTARY.search(text):
        return None
    hits = {t: len(rx.findall(text)) for t, rx in SIGNALS.items()}
    amounts = find_amounts(text)
    units = {a.unit for a in amounts}
    if hits["hiring"] and ("roles" in units or re.search(r"\bhir(?:e|es|ed|ing)\b|recruit", text, re.I)):
        return "hiring"
    invest_verb = re.search(r"\binvest\w*|\bcapex\b|capital[- ]expenditure|capital spending|\bspend\w*|"
                            r"\bfunding\b|\bfinanc\w+|\braise[sd]?\b|\braising\b|\bfunders?\b|\bcommit\w*|"
                            r"\bpledg\w+|\btakeover\b|\bacqui\w+|\bbackstop\w*|\bdebt\b|\bstake\b", text, re.I)
    if invest_verb and "USD" in units and not re.search(r"\b(?:buy|provide|rent|offtake|contract)\b", text, re.I):
        return "investment"
    if hits["compute_deal"] and re.search(r"\b(?:buy\w*|provid\w+|suppl\w+|rent\w*|contract\w*|agree\w*|"
                                         r"deal|offtake|commit\w*|sign\w*|use|access|purchas\w+|"
                                         r"earmark\w*|lease\w*)\b", text, re.I):
        return "compute_deal"
    chip_trade = re.search(r"\b(?:buy|bought|purchas|order|suppl|sell|sold|sale|export|ship|deliver|"
                           r"offtake|acquir|procur|licen[cs]|install|deploy)", text, re.I)
    builds = hits["datacenter"] and re.search(r"\b(?:build\w*|built|construct\w*|house\w*|brought online|"
                                              r"switched on|opened|launch\w*|operat\w+|develop\w*)\b", text, re.I)
    if hits["chips"] and re.search(r"\b(?:us(?:e|es|ing)|access|rent\w*)\b[^.]{0,30}\b\w+'s\b", text):
        return "compute_deal"  # using another company's chips is buying compute from it
    if hits["chips"] and (chip_trade or "chips" in units and not builds):
        return "chips"
    if hits["power"] and not hits["datacenter"] or hits["power"] >= 2 or STRONG_POWER.search(text):
        return "power"
    if hits["datacenter"] or "MW" in units:
        return "datacenter"
    if hits["expansion"]:
        return "expansion"
    if hits["partnership"]:
        return "partnership"
    if invest_verb:
        return "investment"
    if hits["chips"]:
        return "chips"
    if hits["power"]:
        return "power"
    return None


def status_of(text: str) -> str | None:
    """The status the sentence states (cancelled > operational > under construction > planned > announced)."""
    for name, rx in STATUS:
        if rx.search(text):
            return name
    return None


def pick_amount(text: str, claim_type: str) -> Amount | None:
    """The figure that best fits the claim type: GW for power, chip counts for chips, and so on."""
    amounts = find_amounts(text)
    if not amounts:
        return None
    wanted = UNIT_FOR.get(claim_type)
    for a in amounts:
        if a.unit == wanted:
            return a
    return amounts[0]


PROJECT_NOUNS = {"facility", "site", "campus", "project", "phase", "cluster", "building", "plant",
                 "center", "centre", "construction", "capacity", "expansion", "company", "firm",
                 "group", "startup", "venture", "developer", "operator", "build-out", "buildout",
                 "programme", "program", "hub", "factory", "supercomputer", "deployment", "it", "they",
                 "supercluster", "system", "first", "second", "third", "gigawatt", "megawatts",
                 "gigawatts", "portion", "rest", "remainder", "facilities", "sites", "campuses"}


def actors(sent: Span, labs: list[LabRef]) -> tuple[list[LabRef], bool]:
    """Labs that do the action, and whether the subject refers back to an earlier actor.

    Grammatical subjects (and their conjuncts) act; "it", "the company" or "the campus" as subject
    points back to the article's current actor; a lab that only modifies a noun ("Nvidia chips")
    does not act.
    """
    subjects = []
    for ref in labs:
        span = sent.doc.char_span(ref.start, ref.end, alignment_mode="expand")
        if span is not None and any(_in_subject(tok) for tok in span):
            subjects.append(ref)
    if subjects:
        return _unique(subjects), False
    subject_heads = [t for t in sent if t.dep_ in {"nsubj", "nsubjpass"} and t.head.dep_ == "ROOT"]
    if any(t.lower_ in PROJECT_NOUNS for t in subject_heads):
        return [], True
    for ref in labs:
        span = sent.doc.char_span(ref.start, ref.end, alignment_mode="expand")
        if span is not None and span.root.dep_ not in {"compound", "poss", "pobj", "amod", "nmod"}:
            return [ref], False
    for ref in labs:  # "AWS's plan to invest", "Yotta's data center": the owner acts
        span = sent.doc.char_span(ref.start, ref.end, alignment_mode="expand")
        if span is not None and span.root.dep_ == "poss":
            return [ref], False
    return [], True


def _in_subject(tok) -> bool:  # type: ignore[no-untyped-def]
    """True when the token sits in a subject phrase (nsubj, nsubjpass, their conjuncts/appositions)."""
    hops = 0
    while tok.head is not tok and hops < 6:
        if tok.dep_ in {"nsubj", "nsubjpass", "csubj"}:
            return True
        if tok.dep_ in {"prep", "pobj", "dobj", "dative", "attr", "agent", "advcl", "relcl", "acl",
                        "ccomp", "xcomp"}:
            return False
        tok = tok.head
        hops += 1
    return False


def _unique(refs: list[LabRef]) -> list[LabRef]:
    seen: set[str] = set()
    out = []
    for ref in refs:
        if ref.name not in seen:
            seen.add(ref.name)
            out.append(ref)
    return out


_NEWS_DAY = re.compile(r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|"
                       r"this (?:week|month|year)|-year|\byears?\b|months?\b|decade", re.I)
_PAST_TIME = re.compile(r"\b(?:19\d{2}|20\d{2})\b|last (?:year|month|week)|earlier|ago|january|february|"
                        r"march|april|may|june|july|august|september|october|november|december", re.I)


def is_background(sent: Span, year: int | None) -> bool:
    """Completed past actions told as background ("In 2021 AWS opened its Jakarta region")."""
    verb = sent.root
    if verb.lower_ in {"said", "says", "told", "announced", "reported", "added"}:
        verb = next((c for c in verb.children if c.dep_ == "ccomp"), verb)
    past = verb.tag_ == "VBD" or (verb.tag_ == "VBN" and any(c.lower_ == "had" for c in verb.children))
    if not past or re.search(r"\b(?:will|plans?|expects?|intends?|to be|would|is due)\b", sent.text):
        return False
    for ent in sent.ents:
        words = ent.text
        if ent.label_ != "DATE" or not _PAST_TIME.search(words) or _NEWS_DAY.search(words) and not \
                re.search(r"last|earlier|ago", words, re.I):
            continue
        years = [int(y) for y in re.findall(r"\b(19\d{2}|20\d{2})\b", words)]
        if years and year and all(y >= year for y in years):
            continue
        return True
    return False


def claim_type_of(sent: Span, text: str, year: int | None) -> str | None:
    """The sentence's claim type, or None when it states no infrastructure action or plan.

    With the trained detector (models/claim_detector.json) it decides whether the sentence is a
    claim and the rules give the type (the detector's guess where they find none); without it
    the rules decide alone.
    """
    if not text or text[0] in "\"“‘'":
        return None  # quoted speech is commentary
    detector = load_detector()
    if detector is None:
        if QUOTE_OR_OPINION.search(text) or is_background(sent, year):
            return None
        has_verb = any(t.tag_.startswith("VB") or t.tag_ == "MD" for t in sent)
        return classify(text) if has_verb else None
    probability = detector.probability(text)
    if probability < detector.threshold * 0.8 or is_background(sent, year):
        return None
    rule_type = classify(text)
    if probability >= detector.threshold:
        return rule_type or detector.guess_type(text)
    # just under the threshold, the rules must agree that it is a claim
    if rule_type and not QUOTE_OR_OPINION.search(text):
        return rule_type
    return None


def sentence_claims(
    sent: Span, labs: list[LabRef], country: str | None, fallback_actor: str | None,
    year: int | None = None,
) -> list[Claim]:
    """The claims one sentence makes (empty when it makes none)."""
    text = sent.text.strip()
    claim_type = claim_type_of(sent, text, year)
    if claim_type is None:
        return []
    doers, refers_back = actors(sent, labs)
    names = [d.name for d in doers]
    if not names and refers_back and fallback_actor:
        names = [fallback_actor]
    if not names:
        return []
    others = [ref.name for ref in labs if ref.name not in names]
    amount = pick_amount(text, claim_type)
    status = status_of(text)
    start, end = sent.start_char, sent.end_char
    return [
        Claim(lab=name, type=claim_type, evidence=sent.text, start=start, end=end,
              counterparty=others[0] if others else None, country=country, status=status,
              amount=amount.text if amount else None, value=amount.value if amount else None,
              unit=amount.unit if amount else None)
        for name in names
    ]
