"""Infrastructure claims in a sentence: is it one, of which type, by whom, where, how much.

Rules over the spaCy parse (subjects, passive agents, conjunctions) pick the actors; each claim
has one actor, so a sentence with three subject labs yields three claims, and "it" or "the
company" is resolved from the article so far (ActorContext). The type comes from intel.typer
(keyword rules checked by a learned classifier; TYPES, SIGNALS and classify are re-exported here).
The rule set is versioned: change CLAIM_RULES when behaviour changes, so stored claims can be told
apart and rebuilt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from intel.amounts import Amount, find_amounts
from intel.detector import load_detector
from intel.typer import COMMENTARY, SIGNALS, TYPES, _rx, classify, load_typer, type_cues  # noqa: F401

if TYPE_CHECKING:
    from spacy.tokens import Span

CLAIM_RULES = "rules.v4+tfidf-lr.v1+typer.v2"
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


COMPANY_NOUNS = {"company", "firm", "group", "startup", "start-up", "developer", "operator", "provider",
                 "maker", "chipmaker", "giant", "conglomerate", "business", "lab", "neocloud", "hyperscaler"}
PRONOUNS = {"it", "they"}
PROJECT_NOUNS = {"facility", "site", "campus", "project", "phase", "cluster", "building", "plant",
                 "center", "centre", "construction", "capacity", "expansion", "venture", "build-out",
                 "buildout", "programme", "program", "hub", "factory", "supercomputer", "deployment",
                 "supercluster", "system", "first", "second", "third", "gigawatt", "megawatts",
                 "gigawatts", "portion", "rest", "remainder", "facilities", "sites", "campuses"}
PRODUCT_NOUNS = {"chip", "chips", "gpu", "gpus", "tpus", "processor", "processors", "accelerators", "systems",
                 "servers", "units", "hardware", "racks", "superchips"}
_SITE_NOUNS = {"center", "centre", "centers", "centres", "campus", "campuses", "site", "sites", "facility",
               "facilities", "cluster", "park", "hub"}


@dataclass
class ActorContext:
    """Who the earlier sentences of an article were about, to resolve "it", "the company", "the site".

    "It" points to the sole subject lab of the previous sentence, else to that sentence's claim
    actors (at most two: "developed by Nscale and Aker. It will have 230 MW"), else to the one
    lab it names; "they" may point to more actors. "The company" points to the latest lab that
    was the sole subject of a sentence; "the site" or "the project" to the latest claim with a
    single actor. Each falls back to the next, and the article's most-named lab comes last.
    """

    main: str | None = None
    subject: str | None = None  # the latest lab that was the sole subject of a sentence
    single: str | None = None  # the actor of the latest claim that had one actor
    previous_subject: str | None = None  # the previous sentence's sole subject lab
    previous_actors: list[str] = field(default_factory=list)  # the previous sentence's claim actors
    previous_labs: list[str] = field(default_factory=list)  # the labs the previous sentence names

    def resolve(self, kind: str) -> list[str]:
        """The actors a referring subject of this kind (it, they, company, project) points to."""
        if kind in {"it", "they"}:
            if self.previous_subject:
                return [self.previous_subject]
            if self.previous_actors and (kind == "they" or len(self.previous_actors) <= 2):
                return list(self.previous_actors)
            if len(self.previous_labs) == 1:
                return list(self.previous_labs)
        order = [self.subject, self.single] if kind == "company" else [self.single, self.subject]
        found = next((name for name in [*order, self.main] if name), None)
        return [found] if found else []

    def observe(self, labs: list[LabRef], subjects: list[str], claim_actors: list[str]) -> None:
        """Record what one sentence said, before moving to the next."""
        self.previous_labs = list(dict.fromkeys(ref.name for ref in labs))
        self.previous_subject = subjects[0] if len(subjects) == 1 else None
        self.previous_actors = list(claim_actors)
        if len(subjects) == 1:
            self.subject = subjects[0]
        if len(claim_actors) == 1:
            self.single = claim_actors[0]


def _referring_kind(sent: Span) -> str | None:
    """Whether the main subject points back: "it" (pronoun), "the company" (company), "the site" (project)."""
    for tok in sent:
        if tok.dep_ not in {"nsubj", "nsubjpass"} or tok.head.dep_ != "ROOT":
            continue
        word = tok.lower_
        if word in PRONOUNS:
            return word
        if word in COMPANY_NOUNS:
            return "company"
        if word in PROJECT_NOUNS:
            return "project"
    return None


def subject_labs(sent: Span, labs: list[LabRef]) -> list[LabRef]:
    """Labs in the sentence's subject phrases (subjects, their conjuncts and appositions).

    The maker named on a product ("The first 3,000 Nvidia chips will be deployed") is not one.
    """
    subjects = []
    for ref in labs:
        span = sent.doc.char_span(ref.start, ref.end, alignment_mode="expand")
        if span is None or span.root.dep_ in {"compound", "nmod", "amod"} and \
                span.root.head.lower_ in PRODUCT_NOUNS:
            continue
        if any(_in_subject(tok) for tok in span):
            subjects.append(ref)
    return _unique(subjects)


def actors(sent: Span, labs: list[LabRef]) -> tuple[list[LabRef], str | None]:
    """Labs that do the action, or else the kind of referring subject that points to an earlier actor.

    Grammatical subjects (and their conjuncts) act, and so does the agent of a passive ("is
    being developed by Nscale"); "it", "the company" or "the campus" as subject points back
    (the kind is returned: it, they, company, project); a lab that only modifies a noun
    ("Nvidia chips") does not act.
    """
    subjects = subject_labs(sent, labs)
    if subjects:
        return subjects, None
    spans = [(ref, sent.doc.char_span(ref.start, ref.end, alignment_mode="expand")) for ref in labs]
    spans = [(ref, span) for ref, span in spans if span is not None]
    agents = [ref for ref, span in spans if _in_agent(span.root)]
    if agents:
        return _unique(agents), None
    kind = _referring_kind(sent)
    if kind is not None:
        owners = {ref.name: ref for ref, span in spans
                  if span.root.dep_ == "poss" and span.root.head.lower_ in _SITE_NOUNS}
        if kind == "project" and len(owners) == 1 and len({ref.name for ref in labs}) == 1:
            return list(owners.values()), None  # "The supercluster will sit in Yotta's data center"
        return [], kind
    for ref, span in spans:
        if span.root.dep_ not in {"compound", "poss", "pobj", "amod", "nmod"}:
            return [ref], None
    for ref, span in spans:  # "AWS's plan to invest", "Yotta's data center": the owner acts
        if span.root.dep_ == "poss":
            return [ref], None
    return [], "project"


def _in_agent(tok) -> bool:  # type: ignore[no-untyped-def]
    """True for the object of a passive's "by" ("developed by Nscale and Aker"), conjuncts included."""
    hops = 0
    while tok.head is not tok and hops < 4:
        if tok.dep_ == "pobj" and tok.head.dep_ == "agent":
            return tok.head.head.dep_ == "ROOT"
        if tok.dep_ not in {"conj", "appos", "compound", "nmod"}:
            return False
        tok = tok.head
        hops += 1
    return False


def _governing_verb(sent: Span, ref: LabRef):  # type: ignore[no-untyped-def]
    """The verb a lab is the subject of ("Nvidia will invest ..., and the ChatGPT maker will deploy")."""
    span = sent.doc.char_span(ref.start, ref.end, alignment_mode="expand")
    if span is None:
        return None
    tok, hops = span.root, 0
    while tok.head is not tok and hops < 8:
        if tok.dep_ in {"nsubj", "nsubjpass"}:
            return tok.head
        tok = tok.head
        hops += 1
    return None


def clause_text(verb, drop_heads: set[int], other_labs: set[int]) -> str:  # type: ignore[no-untyped-def]
    """The words of a verb's clause, without the clauses of other actors (`drop_heads`) and without
    relative clauses about another lab (`other_labs`: its tokens), which state that lab's action."""
    drop: set[int] = set()
    for tok in verb.subtree:
        if tok.i in drop_heads or tok.dep_ == "relcl" and tok.head.i in other_labs:
            drop.update(t.i for t in tok.subtree)
    return "".join(t.text_with_ws for t in verb.subtree if t.i not in drop).strip()


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


def _pick_type(text: str, rule_type: str | None) -> str | None:
    """The rule type, checked by the learned typer when there is one (its type where the rules have none)."""
    typer = load_typer()
    if typer is None:
        return rule_type
    return typer.decide(text, type_cues(text, rule_type), rule_type)


def claim_type_of(sent: Span, text: str, year: int | None) -> str | None:
    """The sentence's claim type, or None when it states no infrastructure action or plan.

    With the trained detector (models/claim_detector.json) it decides whether the sentence is a
    claim; the rules give the type and the trained typer (models/claim_typer.json) may overrule
    them or fill in where they find none. Without the models the rules decide alone.
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
        if load_typer() is None:
            return rule_type or detector.guess_type(text)
        return _pick_type(text, rule_type)
    # just under the threshold, the rules must agree that it is a claim
    if rule_type and not QUOTE_OR_OPINION.search(text):
        return _pick_type(text, rule_type)
    return None


def _types_by_actor(sent: Span, doers: list[LabRef], labs: list[LabRef], sentence_type: str) -> dict[str, str]:
    """Each actor's type from its own clause, where the sentence holds other clauses: another actor's
    ("X will invest ..., and Y will deploy ...") or a relative clause about another lab ("... in
    Anthropic, which in turn committed to buy ...")."""
    verbs = {ref.name: _governing_verb(sent, ref) for ref in doers}
    tokens = {}
    for ref in labs:
        span = sent.doc.char_span(ref.start, ref.end, alignment_mode="expand")
        tokens.setdefault(ref.name, set()).update(t.i for t in span or [])
    out = {}
    for ref in doers:
        verb = verbs[ref.name]
        if verb is None:
            out[ref.name] = sentence_type
            continue
        others = {v.i for v in verbs.values() if v is not None and v.i != verb.i}
        other_labs = {i for name, idx in tokens.items() if name != ref.name for i in idx}
        clause = clause_text(verb, others, other_labs)
        if clause == sent.text.strip() or len(clause) < 20:
            out[ref.name] = sentence_type
            continue
        rule_type = classify(clause)
        out[ref.name] = (_pick_type(clause, rule_type) or sentence_type) if rule_type else sentence_type
    return out


def sentence_claims(
    sent: Span, labs: list[LabRef], country: str | None, context: ActorContext | str | None,
    year: int | None = None,
) -> list[Claim]:
    """The claims one sentence makes (empty when it makes none).

    `context` carries what earlier sentences said (see ActorContext) and is updated here; a plain
    lab name stands for an article whose only known actor is that lab.
    """
    if not isinstance(context, ActorContext):
        context = ActorContext(main=context)
    text = sent.text.strip()
    claim_type = claim_type_of(sent, text, year)
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
        kind = types.get(name, claim_type)
        amount = pick_amount(text, kind)
        out.append(Claim(lab=name, type=kind, evidence=sent.text, start=start, end=end,
                         counterparty=others[0] if others else None, country=country, status=status,
                         amount=amount.text if amount else None, value=amount.value if amount else None,
                         unit=amount.unit if amount else None))
    return out
