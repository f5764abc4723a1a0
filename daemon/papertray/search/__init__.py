"""Full-text search over every paper papertray has seen (a derived index under the cache folder: tantivy for the
text, SQLite for what was indexed).

query.py turns user text into terms; engine.py owns the tantivy index and builds its queries; snippets.py marks
the matched words; index.py puts the two files together (one thread); service.py keeps
it in step with the store through the event bus and answers searches; pdftext.py reads saved PDFs' text.
"""

from papertray.search.index import Filters, Hit, Page
from papertray.search.query import QueryError
from papertray.search.service import SearchService, SearchUnavailable

__all__ = ["Filters", "Hit", "Page", "QueryError", "SearchService", "SearchUnavailable"]
