"""The digests' "for you": the ranking's top papers of each recent day (ranking/standing.py), each with the
ranking's short why ("for you: sparse autoencoders, circuits"), leaving out what the user saved or read already.
They join "my matches" in the feed and make the email's "For you" group; nothing while the ranking is learning."""

from __future__ import annotations

from collections.abc import Sequence

from papertray.config import Config
from papertray.digest.selection import MAX_ENTRIES, Item, RankedItems, no_ranking
from papertray.models import State
from papertray.ranking.standing import Standings
from papertray.store import Store


def ranked_items(standings: Standings | None) -> RankedItems:
    """The `Selection.ranked` of a daemon whose ranker keeps these standings (none: nothing ranked)."""
    if standings is None:
        return no_ranking

    def ranked(store: Store, config: Config) -> Sequence[Item]:
        items: list[Item] = []
        for day in standings.days():
            for paper_id in standings.top_of_day(day):
                paper, status = store.get_paper(paper_id), store.view(paper_id).status
                if paper is None or status not in (State.NEW, State.SEEN):
                    continue  # saved or read: the user has it already
                why = standings.of(paper_id).why or "for you"
                items.append(Item(paper, (why,), seen=status is not State.NEW))
                if len(items) >= MAX_ENTRIES:
                    return items
        return items

    return ranked
