"""The store: SQLite (or another SQLAlchemy database) is the source of truth.

Only this package and `intel.migrations` open sessions or write SQL; everything else calls the
functions re-exported here. Every other store (the vector index) is a cache rebuilt from it.
"""

from intel.store.articles import (
    count_articles,
    finish_run,
    iter_articles,
    known_hashes,
    save_fetch,
    start_run,
)
from intel.store.engine import open_store
from intel.store.facts import count_pending, facts_for, new_lab_counts, pending_articles, save_extractions
from intel.store.feeds import add_feeds, list_feeds, remove_feeds
from intel.store.passages import (
    articles_to_index,
    claim_passage_ids,
    hit_articles,
    ids_checksum,
    keyword_search,
    passage_ids_checksum,
    passage_ids_for_articles,
    passage_max_id,
    passage_owners,
    passage_texts,
    passage_vectors,
    passages_by_ids,
    save_passages,
    save_stories,
    story_inputs,
)
from intel.store.tables import (
    Article,
    ArticleDraft,
    Claim,
    Feed,
    FetchOutcome,
    IngestRun,
    Mention,
    Passage,
    SaveCounts,
    utcnow,
)

__all__ = [
    "Article", "ArticleDraft", "Claim", "Feed", "FetchOutcome", "IngestRun", "Mention", "SaveCounts",
    "add_feeds", "count_articles", "count_pending", "facts_for", "finish_run", "iter_articles",
    "known_hashes", "list_feeds", "new_lab_counts", "open_store", "pending_articles", "remove_feeds",
    "save_extractions", "save_fetch", "start_run", "utcnow", "Passage", "articles_to_index",
    "ids_checksum", "keyword_search", "passage_max_id", "passage_ids_checksum", "passage_ids_for_articles",
    "passage_vectors", "claim_passage_ids", "passages_by_ids", "save_passages", "save_stories", "story_inputs", "hit_articles",
    "passage_owners", "passage_texts",
]

from intel.store.digests import (  # noqa: E402  (digest emails, issue 6)
    claims_of,
    digest_sends,
    failing_feeds,
    last_sends,
    last_sent_end,
    list_subscribers,
    period_articles,
    prior_highs,
    prior_lab_countries,
    record_send,
    remove_subscribers,
    save_subscriber,
)
from intel.store.tables import DigestSend, Subscriber, Watch  # noqa: E402

__all__ += [
    "DigestSend", "Subscriber", "Watch", "claims_of", "digest_sends", "failing_feeds", "last_sent_end",
    "last_sends", "list_subscribers", "period_articles", "prior_highs", "prior_lab_countries",
    "record_send", "remove_subscribers", "save_subscriber",
]
