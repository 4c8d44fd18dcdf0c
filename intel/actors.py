"""Who acts in a claim sentence: grammatical subjects and passive agents among the labs named, and
"it", "they", "the company" or "the site" resolved from the article so far (ActorContext).

Rules over the spaCy parse; intel.claims asks them for each claim sentence's actors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Span


@dataclass(frozen=True)
class LabRef:
    """A lab mentioned in the sentence: its canonical name and character span in the article."""

    name: str
    start: int
    end: int


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


def governing_verb(sent: Span, ref: LabRef):  # type: ignore[no-untyped-def]
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
