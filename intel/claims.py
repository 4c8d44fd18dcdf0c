"""Infrastructure claims in a sentence: is it one, of which type, by whom, where, how much.

intel.actors picks the actors (subjects, passive agents, conjunctions; "it" or "the company"
resolved from the article so far, ActorContext); each claim has one actor, so a sentence with
three subject labs yields three claims. The type comes from intel.typer (keyword rules as cues of
a learned classifier; TYPES, SIGNALS and classify are re-exported here), decided first from words
and cues and refined by `retype` where the extractor has the sentence's vector.
The rule set is versioned: change CLAIM_RULES when behaviour changes, so stored claims can be told
apart and rebuilt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from intel.actors import ActorContext, LabRef, actors, clause_text, governing_verb, subject_labs
from intel.amounts import Amount, find_amounts
from intel.detector import load_detector
from intel.typer import COMMENTARY, SIGNALS, TYPES, _rx, classify, load_typer, type_cues  # noqa: F401

if TYPE_CHECKING:
    from spacy.tokens import Span

CLAIM_RULES = "rules.v4+tfidf-lr.v2+typer.v3"
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
UNIT_FOR = {"power": "MW", "chips": "chips", "hiring": "roles", "investment": "USD",
            "compute_deal": "USD", "datacenter": "MW", "partnership": "USD", "expansion": "USD"}
QUOTE_OR_OPINION = _rx(r"analysts?", r"investors (?:are|were|worr\w+|fear\w*|watch\w*)", r"critics", r"questioned", r"cautioned", r"skeptic\w*",
                       r"sceptic\w*", r"opinion", r"wrote on", r"argued")


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


@dataclass(frozen=True)
class TypeBasis:
    """What a claim's type was decided on: the sentence or actor clause, the rules' type for it, and
    the typer's word-head probabilities (None without a typer)."""

    text: str
    rule_type: str | None
    probs: dict[str, float] | None = field(default=None, compare=False)

    def needs_vector(self) -> bool:
        """Whether the typer's embedding head should see this text's sentence vector."""
        typer = load_typer()
        return typer is not None and self.probs is not None and typer.needs_vector(self.probs)


def retype(claim: Claim, basis: TypeBasis, vector: Sequence[float]) -> None:
    """Decide the claim's type again with the typer's embedding head given the basis text's vector
    (its amount follows the new type)."""
    typer = load_typer()
    if typer is None or not typer.uses_vectors or basis.probs is None:
        return
    kind = typer.decide_mixed(basis.probs, basis.rule_type, vector)
    if kind != claim.type:
        claim.type = kind
        amount = pick_amount(claim.evidence, kind)
        claim.amount, claim.value, claim.unit = (amount.text, amount.value, amount.unit) if amount else (None,) * 3


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


def _pick_type(text: str, rule_type: str | None) -> tuple[str | None, TypeBasis]:
    """The rule type, checked by the learned typer's word head when there is one (its type where the
    rules have none), and the basis a sentence vector can later refine (`retype`)."""
    typer = load_typer()
    if typer is None:
        return rule_type, TypeBasis(text, rule_type)
    probs = typer.probabilities(text, type_cues(text, rule_type))
    return typer.decide_mixed(probs, rule_type), TypeBasis(text, rule_type, probs)


def claim_type_of(sent: Span, text: str, year: int | None) -> tuple[str | None, TypeBasis | None]:
    """The sentence's claim type (None when it states no infrastructure action or plan) and what it
    was decided on.

    With the trained detector (models/claim_detector.json) it decides whether the sentence is a
    claim; the rules give the type and the trained typer (models/claim_typer.json) may overrule
    them or fill in where they find none. Without the models the rules decide alone.
    """
    if not text or text[0] in "\"“‘'":
        return None, None  # quoted speech is commentary
    detector = load_detector()
    if detector is None:
        if QUOTE_OR_OPINION.search(text) or is_background(sent, year):
            return None, None
        has_verb = any(t.tag_.startswith("VB") or t.tag_ == "MD" for t in sent)
        rule_type = classify(text) if has_verb else None
        return rule_type, TypeBasis(text, rule_type)
    probability = detector.probability(text)
    if probability < detector.threshold * 0.8 or is_background(sent, year):
        return None, None
    rule_type = classify(text)
    if probability >= detector.threshold:
        if load_typer() is None:
            return rule_type or detector.guess_type(text), TypeBasis(text, rule_type)
        return _pick_type(text, rule_type)
    # just under the threshold, the rules must agree that it is a claim
    if rule_type and not QUOTE_OR_OPINION.search(text):
        return _pick_type(text, rule_type)
    return None, None


def _types_by_actor(sent: Span, doers: list[LabRef], labs: list[LabRef], sentence_type: str
                    ) -> dict[str, tuple[str, TypeBasis | None]]:
    """Each actor's type from its own clause, where the sentence holds other clauses: another actor's
    ("X will invest ..., and Y will deploy ...") or a relative clause about another lab ("... in
    Anthropic, which in turn committed to buy ..."). With each type, the clause it was decided on
    (None where the sentence's type stands)."""
    verbs = {ref.name: governing_verb(sent, ref) for ref in doers}
    tokens = {}
    for ref in labs:
        span = sent.doc.char_span(ref.start, ref.end, alignment_mode="expand")
        tokens.setdefault(ref.name, set()).update(t.i for t in span or [])
    out = {}
    for ref in doers:
        verb = verbs[ref.name]
        if verb is None:
            out[ref.name] = (sentence_type, None)
            continue
        others = {v.i for v in verbs.values() if v is not None and v.i != verb.i}
        other_labs = {i for name, idx in tokens.items() if name != ref.name for i in idx}
        clause = clause_text(verb, others, other_labs)
        if clause == sent.text.strip() or len(clause) < 20:
            out[ref.name] = (sentence_type, None)
            continue
        rule_type = classify(clause)
        kind, basis = _pick_type(clause, rule_type) if rule_type else (None, None)
        out[ref.name] = (kind, basis) if kind else (sentence_type, None)
    return out


def sentence_claims(
    sent: Span, labs: list[LabRef], country: str | None, context: ActorContext | str | None,
    year: int | None = None, bases: list[TypeBasis] | None = None,
) -> list[Claim]:
    """The claims one sentence makes (empty when it makes none).

    `context` carries what earlier sentences said (see ActorContext) and is updated here; a plain
    lab name stands for an article whose only known actor is that lab. When `bases` is given, the
    text and rule type each returned claim's type was decided on are appended to it, one per claim,
    so that a caller with sentence vectors can decide again (`retype`).
    """
    if not isinstance(context, ActorContext):
        context = ActorContext(main=context)
    text = sent.text.strip()
    claim_type, sentence_basis = claim_type_of(sent, text, year)
    if claim_type is None:
        context.observe(labs, [ref.name for ref in subject_labs(sent, labs)] if labs else [], [])
        return []
    doers, refers_back = actors(sent, labs)
    names = [d.name for d in doers]
    types = _types_by_actor(sent, doers, labs, claim_type)
    if not names and refers_back:
        names = context.resolve(refers_back)
    context.observe(labs, [ref.name for ref in subject_labs(sent, labs)] if labs else [], names)
    if not names:
        return []
    others = [ref.name for ref in labs if ref.name not in names]
    status = status_of(text)
    start, end = sent.start_char, sent.end_char
    out = []
    for name in names:
        kind, basis = types.get(name, (claim_type, None))
        if bases is not None:
            bases.append(basis or sentence_basis or TypeBasis(text, None))
        amount = pick_amount(text, kind)
        out.append(Claim(lab=name, type=kind, evidence=sent.text, start=start, end=end,
                         counterparty=others[0] if others else None, country=country, status=status,
                         amount=amount.text if amount else None, value=amount.value if amount else None,
                         unit=amount.unit if amount else None))
    return out
