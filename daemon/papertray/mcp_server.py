"""`papertray mcp`: papertray as a Model Context Protocol server over stdio, for the user's own assistant.

It is a client of the running daemon through the API, with its own token (mcp_access.py); it never opens the
store. Read tools are always there; the write tools (save, unsave, tag, note, dismiss) are registered only when
`[mcp] allow_writes = true` at its start, so an assistant cannot even see them otherwise. Every call is appended
to the audit log. The `mcp` SDK (and its pydantic/starlette/httpx stack) is imported only here, only by this
command: every other command starts as fast as before.
"""

from __future__ import annotations

import asyncio
import functools
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from papertray import __version__
from papertray.config import Paths, load_config
from papertray.errors import PapertrayError
from papertray.library import folder_key
from papertray.library.meta import pdf_files
from papertray.mcp_access import McpAccess
from papertray.models import LISTED_STATES, Paper, parse_paper_ref
from papertray.rules import match

INSTRUCTIONS = (
    "papertray is the user's local record of every Hugging Face Daily Papers / arXiv paper it has seen, and of "
    "their reading list (saved papers, tags, notes, local PDFs). Use search_papers to find papers by words, "
    "phrases in double quotes, or prefix* ; list_papers for what is new; reading_list for what the user saved."
)
STATES = (*LISTED_STATES, "all")
# "Why does this paper rank here": the daemon's explanation route (api/routes_rank.py), behind `why_ranked`.
RANKING_ROUTE = "papers/{id}/why"


def _paper_id(ref: str) -> str:
    parsed = parse_paper_ref(ref)
    if parsed is None:
        raise ValueError(f"{ref[:80]!r} is not an arXiv id (like 2307.12345 or hep-th/9901001).")
    return parsed[0]


def local_pdf(paths: Paths, paper_id: str) -> str | None:
    folder = paths.library_dir / folder_key(paper_id)
    files = pdf_files(folder, folder_key(paper_id))
    return str(Path(folder, files[-1][1])) if files else None


def brief(paper: dict[str, Any]) -> dict[str, Any]:
    return {k: paper.get(k) for k in ("id", "title", "daily_date", "state", "saved", "tags", "note", "upvotes")}


class Tools:
    """The tool bodies, plain methods over the daemon's API (the SDK wraps them in `build_server`)."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.access = McpAccess(paths)

    def _get(self, path: str) -> Any:
        return self.access.client().get(path)

    def search_papers(
        self, query: str, state: str = "all", saved_only: bool = False, since: str | None = None, limit: int = 10
    ) -> dict[str, Any]:
        """Full-text search over every paper papertray has seen (titles, abstracts, authors, keywords, the
        user's tags and notes, saved PDFs). Words are ANDed, "double quotes" make a phrase, word* a prefix.
        state: new, seen, saved, read or all; since: YYYY-MM-DD."""
        params = {"q": query, "limit": str(max(1, min(limit, 50)))}
        if state != "all":
            params["state"] = state
        if saved_only:
            params["saved"] = "true"
        if since:
            params["since"] = since
        answer = self._get("search?" + urllib.parse.urlencode(params))
        results = []
        for hit in answer["results"]:
            snippet = "".join(f"«{p['text']}»" if p["hit"] else p["text"] for p in hit["snippet"])
            results.append(
                {**{k: hit[k] for k in ("id", "title", "state", "daily_date", "tags", "score")}, "snippet": snippet}
            )
        return {"results": results, "total": answer["total"]}

    def get_paper(self, id: str) -> dict[str, Any]:
        """One paper: title, abstract, authors, dates, links, the user's state, tags and note, and the path of
        its local PDF when it is saved and downloaded."""
        paper_id = _paper_id(id)
        paper = dict(self._get(f"papers/{paper_id}"))
        paper["pdf_path"] = local_pdf(self.paths, paper_id)
        paper["abs_url"] = f"https://arxiv.org/abs/{paper_id}"
        return paper

    def why_ranked(self, id: str) -> dict[str, Any]:
        """Why a paper ranks where it does in the user's local For you ranking: its score, its place in its day
        (rank 0..1, 1 = first; null while the ranking is still learning), whether it is among the day's top
        (for_you), and the words, authors or categories that moved it most, each with its signed weight."""
        answer = dict(self._get(RANKING_ROUTE.format(id=_paper_id(id))))
        if answer.get("score") is None:
            answer["why"] = "Nothing is learned yet: the ranking starts once the user saves or dismisses papers."
        return answer

    def list_papers(self, state: str = "new", since: str | None = None, limit: int = 20) -> dict[str, Any]:
        """Papers newest first: state new (not yet seen), seen, saved, read or all; since: YYYY-MM-DD."""
        if state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}.")
        params = {"state": state, "limit": str(max(1, min(limit, 100)))}
        if since:
            params["since"] = since
        answer = self._get("papers?" + urllib.parse.urlencode(params))
        return {"papers": [brief(p) for p in answer["papers"]], "total": answer["total"]}

    def list_matching_papers(
        self, rule: str | None = None, since: str | None = None, limit: int = 20
    ) -> dict[str, Any]:
        """New papers that match the user's interest rules (config.toml [[rules]]), with the rule and why;
        `rule` limits it to one rule by name."""
        rules = load_config(self.paths, create=False).rules
        if rule is not None:
            rules = tuple(r for r in rules if r.name == rule)
            if not rules:
                raise ValueError(f"No interest rule is named {rule[:80]!r}.")
        params = {"state": "new", "limit": "500"}
        if since:
            params["since"] = since
        found = []
        for paper in self._get("papers?" + urllib.parse.urlencode(params))["papers"]:
            fired = match(Paper.from_dict(paper), rules)
            if fired:
                found.append({**brief(paper), "rules": [{"rule": m.rule, "why": m.reason} for m in fired]})
                if len(found) >= limit:
                    break
        return {"papers": found}

    def reading_list(self, tag: str | None = None, limit: int = 50) -> dict[str, Any]:
        """The user's saved papers with their tags and notes, newest first; `tag` keeps those with that tag."""
        params = {"state": "all", "limit": "500"}
        if tag:
            params["tag"] = tag
        papers = [p for p in self._get("papers?" + urllib.parse.urlencode(params))["papers"] if p.get("saved")]
        return {"papers": [brief(p) for p in papers[: max(1, limit)]]}

    # ------------------------------------------------------------------ writes (only with allow_writes)

    def save_paper(self, id: str) -> dict[str, Any]:
        """Save a paper to the user's reading list (its PDF is then downloaded)."""
        return brief(self.access.client().post(f"papers/{_paper_id(id)}/save", {}))

    def unsave_paper(self, id: str) -> dict[str, Any]:
        """Remove a paper from the user's reading list."""
        return brief(self.access.client().delete(f"papers/{_paper_id(id)}/save"))

    def tag_paper(self, id: str, tags: list[str]) -> dict[str, Any]:
        """Set a paper's tags (replaces the list)."""
        return brief(self.access.client().request("PATCH", f"papers/{_paper_id(id)}", {"tags": tags}))

    def note_paper(self, id: str, note: str) -> dict[str, Any]:
        """Set the user's note on a paper (replaces it)."""
        return brief(self.access.client().request("PATCH", f"papers/{_paper_id(id)}", {"note": note}))

    def dismiss_paper(self, id: str, dismissed: bool = True) -> dict[str, Any]:
        """Dismiss a paper (hide it from what is new), or undo that with dismissed=false."""
        return brief(self.access.client().request("PATCH", f"papers/{_paper_id(id)}", {"dismissed": dismissed}))


READ_TOOLS = ("search_papers", "get_paper", "why_ranked", "list_papers", "list_matching_papers", "reading_list")
WRITE_TOOLS = ("save_paper", "unsave_paper", "tag_paper", "note_paper", "dismiss_paper")


def _audited(tools: Tools, name: str, error_type: type[Exception]) -> Callable[..., Awaitable[Any]]:
    body = getattr(tools, name)

    @functools.wraps(body)
    async def call(**arguments: Any) -> Any:
        started = time.monotonic()
        try:
            result = await asyncio.to_thread(body, **arguments)
        except (PapertrayError, ValueError) as exc:
            tools.access.audit(name, arguments, started, f"error: {exc}", None)
            raise error_type(str(exc)) from None
        except Exception:
            tools.access.audit(name, arguments, started, "error: internal", None)
            raise
        counted = next((len(v) for k, v in result.items() if k in ("results", "papers")), None)
        tools.access.audit(name, arguments, started, "ok", counted)
        return result

    return call


def build_server(paths: Paths, allow_writes: bool) -> Any:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer(name="papertray", version=__version__, instructions=INSTRUCTIONS)
    tools = Tools(paths)
    for name in READ_TOOLS + (WRITE_TOOLS if allow_writes else ()):
        server.add_tool(_audited(tools, name, ToolError), name=name)
    return server


def serve_stdio(paths: Paths, warn: Callable[[str], None]) -> int:
    """Serve until the assistant closes stdin; `warn` says on stderr (never stdout: that is the protocol) what runs."""
    config = load_config(paths, create=False)
    server = build_server(paths, config.mcp_allow_writes)
    warn(
        f"papertray MCP server on stdio ({'read and write' if config.mcp_allow_writes else 'read-only'}); "
        f"tool calls are logged to {paths.log_dir / 'mcp-audit.jsonl'}."
    )
    asyncio.run(server.run_stdio_async())
    return 0
