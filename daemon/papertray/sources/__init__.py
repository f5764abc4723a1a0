"""Where papers come from, fetched and parsed once, the same way, for the poller and the reading list.

http.py          the one polite HTTP client (aiohttp's client is used nowhere else): feeds and guarded downloads
guard.py         the SSRF guard: public or private, origins, the check and pin of every URL and redirect
politeness.py    per-host spacing, one request at a time per host, Retry-After / RateLimit holds, backoff
daily_papers.py  Hugging Face Daily Papers: the list endpoint and the paper endpoint, one parser for both
arxiv.py         arXiv's export API (Atom)
"""
