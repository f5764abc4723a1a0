"""Full-text search over every paper papertray has seen (a derived SQLite FTS5 index under the cache folder).

query.py turns user text into a safe FTS5 expression; index.py owns the SQLite file (one thread); service.py keeps
it in step with the store through the event bus and answers searches; pdftext.py reads saved PDFs' text.
"""

from papertray.search.index import Filters, Hit, Page
from papertray.search.query import QueryError
from papertray.search.service import SearchService, SearchUnavailable

__all__ = ["Filters", "Hit", "Page", "QueryError", "SearchService", "SearchUnavailable"]
