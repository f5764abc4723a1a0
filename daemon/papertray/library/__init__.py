"""The reading list: saved papers as plain folders, filled by a polite, resumable download queue.

reading_list.py  `Library`: follows saves, runs the queue, status, remove/restore, import
queue.py         the durable download queue with retries and backoff
downloads.py     fetching one paper: metadata through `sources/`, then the newest PDF, atomically
folder.py        a paper's folder: paths, PDFs, and the meta.json / paper.bib / notes.md written into it
meta.py          reading meta.json with care (a damaged one is kept aside and its PDF records rebuilt)
trash.py         removed folders wait in `.trash/` for a week, so an undo brings every file back
"""

from papertray.errors import RestoreFailed
from papertray.library.folder import folder_key, id_from_key
from papertray.library.reading_list import Library

__all__ = ["Library", "RestoreFailed", "folder_key", "id_from_key"]
