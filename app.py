"""The intel dashboard: a thin Streamlit view over `intel` (run: `intel dashboard`, or `make demo`).

Widgets and layout only. Data comes from intel.store.browse / intel.search, shaping and escaped
HTML from intel.dashboard; nothing here writes SQL or touches a model.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import streamlit as st

from intel import dashboard as dash
from intel.config import load_settings
from intel.errors import IntelError
from intel.store import browse as db
from intel.store import list_feeds, open_store

PAGES = ["Search", "Landscape", "Timeline", "Lab profile", "Article", "Feeds", "Export"]

st.set_page_config(page_title="intel · AI-infrastructure race", page_icon="🛰", layout="wide")


@st.cache_resource
def store():  # type: ignore[no-untyped-def]
    """The settings and the database engine, once per server process."""
    settings = load_settings()
    return settings, open_store(settings)


@st.cache_resource(max_entries=32)
def cached_claims(version: tuple[int, ...], scope: tuple) -> list[dict]:  # type: ignore[type-arg]
    labs, countries, types, sources, since, until = scope
    return db.claim_rows(ENGINE, db.Scope(list(labs), list(countries), list(types), list(sources), since, until))


@st.cache_resource(max_entries=4)
def cached_facets(version: tuple[int, ...]) -> dict:  # type: ignore[type-arg]
    return db.facet_values(ENGINE)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_search(version: tuple[int, ...], query: str, scope: tuple, k: int) -> list[dict]:  # type: ignore[type-arg]
    from intel.search import Filters, search

    labs, countries, types, sources, since, until = scope
    filters = Filters(list(labs), list(countries), list(types), list(sources), since, until)
    return [h.to_json() for h in search(ENGINE, SETTINGS.data_dir, SETTINGS.embed_model, query, filters, k=k)]


def go(page: str, **state: object) -> None:
    """A button callback: switch page (and remember what to open there)."""
    st.session_state.update(state)
    st.session_state["page"] = page


def html(markup: str) -> None:
    """Show HTML built by intel.dashboard, where every feed string is escaped."""
    st.markdown(markup, unsafe_allow_html=True)


def open_button(article_id: int, key: str) -> None:
    st.button("Open article", key=key, on_click=go, args=("Article",), kwargs={"article_id": int(article_id)})


def sidebar_scope(facets: dict) -> tuple:  # type: ignore[type-arg]
    """The filters in the sidebar, as a hashable scope (canonical labs, ISO codes, types, sources, dates)."""
    sb = st.sidebar
    sb.caption(f"{facets['articles']} articles · {len(facets['sources'])} sources")
    labs = sb.multiselect("Labs", [name for name, _ in facets["labs"]], key="f_labs")
    from intel.geo import REGIONS, region_countries

    regions = sb.multiselect("Regions", list(REGIONS), key="f_regions", help="Adds every country of the region")
    countries = sb.multiselect("Countries", [code for code, _ in facets["countries"]], key="f_countries",
                               format_func=lambda c: f"{dash.country_name(c)} ({c})")
    countries = list(dict.fromkeys([*countries, *region_countries(regions)]))
    types = sb.multiselect("Claim types", dash.CLAIM_TYPES, key="f_types")
    sources = sb.multiselect("Sources", facets["sources"], key="f_sources")
    first, last = facets["first"], facets["last"]
    period = sb.date_input("Published between", value=(), key="f_period",
                           min_value=first.date() if first else None, max_value=last.date() if last else None)
    since = until = None
    if isinstance(period, tuple | list) and len(period) == 2:
        since = datetime.combine(period[0], time.min, tzinfo=UTC)
        until = datetime.combine(period[1], time.max, tzinfo=UTC)
    return tuple(labs), tuple(countries), tuple(types), tuple(sources), since, until


def page_search(scope: tuple) -> None:  # type: ignore[type-arg]
    st.header("Search")
    query = st.text_input("Ask in plain words", key="query",
                          placeholder="who is building data centers in the Middle East?")
    k = st.slider("Stories", 5, 50, 10, key="k")
    if not query.strip():
        st.caption("Latest stories. Type a question to search every passage, with citations.")
        for n, story in enumerate(db.story_rows(ENGINE, limit=15)):
            head = story["head"]
            others = ", ".join(dash.link(m["source"], m["url"]) for m in story["members"][1:])
            left, right = st.columns([6, 1], vertical_alignment="center")
            with left:
                html(f'<div class="story">{dash.link(head["title"], head["url"])} '
                     f'<span style="color:#6b7280">— {dash.esc(head["source"])}, {head["published"]:%Y-%m-%d}</span>'
                     + (f'<div style="font-size:0.85em">Also reported by: {others}</div>' if others else "") + "</div>")
            with right:
                open_button(head["article_id"], f"latest_{n}")
        return
    try:
        with st.spinner("Searching (the first query loads the embedding model)…"):
            hits = cached_search(VERSION, query, scope, k)
    except IntelError as exc:
        st.warning(str(exc))
        return
    st.session_state["last_hits"] = hits
    if not hits:
        st.info("No matching articles. Loosen the filters in the sidebar or try other words.")
        return
    st.caption(f"{len(hits)} stories, best first; the quoted passage is the citation.")
    for n, hit in enumerate(hits):
        left, right = st.columns([6, 1])
        with left:
            html(dash.hit_card(hit, query))
        with right:
            open_button(hit["article_id"], f"hit_{n}")


def page_landscape(rows: list[dict]) -> None:  # type: ignore[type-arg]
    import plotly.graph_objects as go_

    from intel.geo import country_points, shaped_countries, world_geojson

    st.header("Landscape")
    st.caption("Who is active where: claims per lab and country (sidebar filters apply).")
    if not rows:
        st.info("No claims in this selection.")
        return
    activity = dash.country_activity(rows)
    shaped = shaped_countries()
    by_code = {a["country"]: a for a in activity}
    codes = sorted(shaped)  # every country drawn, so the map reads as a world map; no claims = grey
    fig = go_.Figure(go_.Choroplethmap(
        geojson=world_geojson(), locations=codes, z=[by_code[c]["claims"] if c in by_code else 0 for c in codes],
        colorscale=[[0, "#eef0f3"], [0.0001, "#c6dbef"], [1, "#08306b"]], marker_line_width=0.3,
        marker_line_color="#9ca3af", colorbar_title="claims",
        text=[f"{dash.country_name(c)}: {by_code[c]['claims']} claims ({by_code[c]['labs']})" if c in by_code
              else dash.country_name(c) for c in codes], hoverinfo="text"))
    points = country_points()
    small = [a for a in activity if a["country"] not in shaped and a["country"] in points]
    if small:
        fig.add_trace(go_.Scattermap(lat=[points[a["country"]][0] for a in small],
                                     lon=[points[a["country"]][1] for a in small], mode="markers",
                                     marker={"size": [8 + 2 * min(a["claims"], 10) for a in small], "color": "#1d4ed8"},
                                     text=[f"{a['name']}: {a['claims']} claims" for a in small], name="small countries"))
    fig.update_layout(map_style="white-bg", map_zoom=0.75, map_center={"lat": 28, "lon": 15}, height=440,
                      margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False)
    st.plotly_chart(fig, width="stretch", key="map")
    labs, countries, matrix = dash.lab_country_matrix(rows)
    if labs:
        import plotly.express as px

        cells = [(c, lab, n) for lab, row in zip(labs, matrix, strict=True)
                 for c, n in zip(countries, row, strict=True) if n]
        heat = px.scatter(x=[c for c, _, _ in cells], y=[lab for _, lab, _ in cells], size=[n for _, _, n in cells],
                          color=[n for _, _, n in cells], text=[n for _, _, n in cells], size_max=28,
                          color_continuous_scale="Blues", labels={"x": "country", "y": "lab", "color": "claims"})
        heat.update_traces(textfont_size=10, marker_line_color="#1e3a8a", marker_line_width=0.5,
                           unselected={"marker": {"opacity": 0.85}})
        heat.update_xaxes(categoryorder="array", categoryarray=countries, side="top")
        heat.update_yaxes(categoryorder="array", categoryarray=labs[::-1])
        heat.update_layout(height=max(320, 26 * len(labs)), margin={"l": 0, "r": 0, "t": 10, "b": 0})
        event = st.plotly_chart(heat, width="stretch", key="matrix", on_select="rerun", selection_mode="points")
        picked = _picked_cell(event)
        if picked and picked != st.session_state.get("land_picked"):  # a new click: show that cell's evidence
            st.session_state["land_picked"] = picked
            st.session_state["land_lab"], st.session_state["land_country"] = picked
        st.caption("Click a cell to read its evidence below.")
    st.subheader("Evidence")
    col1, col2 = st.columns(2)
    lab = col1.selectbox("Lab", labs or sorted({r["lab"] for r in rows}), key="land_lab")
    options = sorted({r["country"] for r in rows if r["lab"] == lab and r["country"]})
    country = col2.selectbox("Country", options, key="land_country", format_func=dash.country_name)
    cited = [r for r in rows if r["lab"] == lab and r["country"] == country]
    st.caption(f"{len(cited)} claim{'s' if len(cited) != 1 else ''} by {lab} in {dash.country_name(country)}")
    show_evidence(cited, "land")


def _picked_cell(event: object) -> tuple[str, str] | None:
    """The (lab, country) of a clicked matrix cell, if any."""
    points = getattr(getattr(event, "selection", None), "points", None) or []
    if not points or "x" not in points[0] or "y" not in points[0]:
        return None
    return str(points[0]["y"]), str(points[0]["x"])


def show_evidence(rows: list[dict], key: str, limit: int = 30) -> None:  # type: ignore[type-arg]
    for n, row in enumerate(rows[:limit]):
        left, right = st.columns([6, 1], vertical_alignment="center")
        with left:
            html(dash.evidence_html(row))
        with right:
            open_button(row["article_id"], f"{key}_{n}")
    if len(rows) > limit:
        st.caption(f"… and {len(rows) - limit} more (narrow the filters, or use Export).")


def page_timeline(rows: list[dict]) -> None:  # type: ignore[type-arg]
    import plotly.express as px

    st.header("Timeline")
    if not rows:
        st.info("No claims in this selection.")
        return
    by = st.radio("Colour by", ["type", "lab"], horizontal=True, key="tl_by")
    series = dash.weekly_counts(rows, by=by)
    fig = px.bar(series, x="week_start", y="claims", color=by, labels={"week_start": "week"})
    fig.update_layout(height=360, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    event = st.plotly_chart(fig, width="stretch", key="timeline", on_select="rerun", selection_mode="points")
    points = getattr(getattr(event, "selection", None), "points", None) or []
    if points and points[0].get("x"):  # a clicked bar: show that week's evidence below
        clicked = dash.week_of(datetime.fromisoformat(str(points[0]["x"])[:10]))
        if clicked != st.session_state.get("tl_picked"):
            st.session_state["tl_picked"] = st.session_state["tl_week"] = clicked
    st.caption("Click a bar to read that week's evidence below.")
    st.subheader("Biggest figures")
    for col, (unit, label) in zip(st.columns(3), [("USD", "Money"), ("MW", "Power"), ("chips", "Chips")], strict=True):
        with col:
            st.markdown(f"**{label}**")
            for row in dash.biggest(rows, unit):
                html(dash.figure_html(row))
    st.subheader("Evidence for a week")
    weeks = sorted({s["week"] for s in series}, reverse=True)
    week = st.selectbox("Week", weeks, key="tl_week")
    show_evidence([r for r in rows if r["published"] and dash.week_of(r["published"]) == week], "tl")


def page_lab(facets: dict) -> None:  # type: ignore[type-arg]
    st.header("Lab profile")
    names = [name for name, _ in facets["labs"]]
    if not names:
        st.info("No claims yet: ingest some feeds first.")
        return
    lab = st.selectbox("Lab", names, key="lab")
    rows = cached_claims(VERSION, ((lab,), (), (), (), None, None))
    summary = dash.lab_summary(rows)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Claims", summary["claims"])
    c2.metric("Countries", len(summary["countries"]))
    c3.metric("Last 7 days", len(summary["last7"]))
    c4.metric("Last 30 days", len(summary["last30"]))
    html(dash.chips([f"{dash.country_name(c)} · {n}" for c, n in summary["countries"]], "country"))
    st.subheader("Claims")
    st.dataframe(dash.claims_table(rows), hide_index=True, width="stretch",
                 column_order=["date", "type", "country", "amount", "figure", "status", "counterparty", "evidence",
                               "source", "url"],
                 column_config={"url": st.column_config.LinkColumn("link", display_text="open"),
                                "evidence": st.column_config.TextColumn("evidence", width="large")})
    st.subheader("New in the last 7 days")
    if summary["last7"]:
        show_evidence(summary["last7"], "lab7")
    else:
        latest = summary["latest"]
        st.caption(f"Nothing in the last 7 days (latest claim {latest:%Y-%m-%d})." if latest else "Nothing yet.")
    st.subheader("Recent stories")
    for story in db.story_rows(ENGINE, lab=lab, limit=10):
        head = story["head"]
        html(f'{dash.link(head["title"], head["url"])} <span style="color:#6b7280">— '
             f'{dash.esc(", ".join(story["sources"]))}, {story["latest"]:%Y-%m-%d}</span>')


def page_article() -> None:
    st.header("Article")
    article_id = st.session_state.get("article_id")
    if article_id is None:
        st.info("Open an article from a search hit, a claim or a story.")
        return
    article = db.article_detail(ENGINE, int(article_id))
    if article is None:
        st.warning(f"Article {int(article_id)} is not in the store (removed with its feed?).")
        return
    html(f'<h3 style="margin-bottom:0">{dash.link(article["title"], article["url"])}</h3>'
         f'<div style="color:#6b7280">{dash.esc(article["source"])} · '
         f'{article["published"]:%Y-%m-%d %H:%M} UTC{" (" + dash.esc(article["date_flag"]) + ")" if article["date_flag"] else ""}</div>')
    html('<div style="font-size:0.85em;margin:8px 0">Highlighted: '
         f'<mark style="{dash.STYLE["lab"]}">lab</mark> <mark style="{dash.STYLE["country"]}">country</mark> '
         f'<mark style="{dash.STYLE["claim"]}">claim sentence</mark></div>')
    html(dash.article_html(article))
    if article["claims"]:
        st.subheader(f"Claims ({len(article['claims'])})")
        for row in article["claims"]:
            html(dash.evidence_html(row))
    if article["also_reported_by"]:
        st.subheader("Also reported by")
        for n, other in enumerate(article["also_reported_by"]):
            html(f'{dash.link(other["title"], other["url"])} — {dash.esc(other["source"])}')
            open_button(other["article_id"], f"mate_{n}")


def page_feeds() -> None:
    from intel.opml import check_feed_url, parse_opml
    from intel.store import add_feeds

    st.header("Feeds")
    feeds = list_feeds(ENGINE)
    st.dataframe([{"feed": f.title or f.url, "url": f.url, "health": f.health, "last ok": f.last_ok,
                   "last error": f.last_error or "", "failures": f.consecutive_failures, "items": f.items_total}
                  for f in feeds], hide_index=True, width="stretch")
    with st.form("add_feed", clear_on_submit=True):
        url = st.text_input("Feed URL", key="new_feed")
        if st.form_submit_button("Add feed") and url.strip():
            try:
                added, known = add_feeds(ENGINE, [{"url": check_feed_url(url.strip()), "title": None}])
                st.success(f"added {url.strip()}" if added else f"already subscribed: {url.strip()}")
            except IntelError as exc:
                st.error(str(exc))
    upload = st.file_uploader("Import OPML", type=["opml", "xml"], key="opml")
    if upload is not None and st.button("Import", key="import_opml"):
        try:
            added, known = add_feeds(ENGINE, parse_opml(upload.getvalue()))
            st.success(f"imported {len(added)} feeds ({len(known)} already subscribed)")
        except IntelError as exc:
            st.error(str(exc))
    if st.button("Ingest now", type="primary", key="ingest"):
        run_ingest(len(feeds))


def run_ingest(total: int) -> None:
    from intel.pipeline import refresh

    bar = st.progress(0.0, text="starting")
    seen = {"feeds": 0}

    def progress(stage: str, what: str) -> None:
        if stage == "ingest":
            seen["feeds"] += 1
        done = seen["feeds"] / max(total, 1)
        bar.progress(min(0.9 * done + (0.1 if stage != "ingest" else 0), 1.0), text=f"{stage}: {what}"[:80])

    try:
        report = refresh(ENGINE, SETTINGS, on_progress=progress)
    except IntelError as exc:
        st.error(str(exc))
        return
    bar.progress(1.0, text="done")
    st.success(report.summary())


def page_export(rows: list[dict]) -> None:  # type: ignore[type-arg]
    st.header("Export")
    table = dash.claims_table(rows)
    hits = st.session_state.get("last_hits") or []
    st.caption("Downloads carry the citation of every row: source, date, URL and the evidence span.")
    for label, data, name in (("claims in the current filters", table, "claims"), ("the last search results", hits, "search")):
        st.subheader(f"{label.capitalize()} ({len(data)})")
        if not data:
            st.caption("Nothing to export yet." if name == "search" else "No claims in this selection.")
            continue
        flat = data if name == "claims" else dash.flat_hits(data)
        c1, c2 = st.columns(2)
        # callables: the file is only built when someone clicks (70k claims take seconds to serialise)
        c1.download_button("CSV", lambda flat=flat: dash.to_csv(flat), f"intel-{name}.csv", "text/csv",
                           key=f"csv_{name}", on_click="ignore")
        c2.download_button("JSON", lambda data=data: dash.to_json(data), f"intel-{name}.json", "application/json",
                           key=f"json_{name}", on_click="ignore")


try:
    SETTINGS, ENGINE = store()
    VERSION = db.store_version(ENGINE)
except IntelError as exc:
    st.error(str(exc))
    st.stop()

st.sidebar.title("intel")
page = st.sidebar.radio("Page", PAGES, key="page")
facets = cached_facets(VERSION)
scope = sidebar_scope(facets)
if page == "Search":
    page_search(scope)
elif page in {"Landscape", "Timeline", "Export"}:
    rows = cached_claims(VERSION, scope)
    {"Landscape": page_landscape, "Timeline": page_timeline, "Export": page_export}[page](rows)
elif page == "Lab profile":
    page_lab(facets)
elif page == "Article":
    page_article()
else:
    page_feeds()
