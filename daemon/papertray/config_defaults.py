"""What config.toml holds when the user has written nothing: the default values config.py falls back to, and the
commented file papertray writes on a first start (every key shown with its default)."""

from __future__ import annotations

DEFAULT_PORT = 27483
DEFAULT_HF_URL = "https://huggingface.co"
DEFAULT_ARXIV_URL = "https://arxiv.org"


DEFAULT_CONFIG_TEXT = f"""\
# papertray configuration. Every key is optional: a missing key takes the default shown here.
# papertray watches this file and applies a valid edit within a second; an invalid edit is reported
# (tray, `papertray status`, log) and the previous settings stay in force.

[daemon]
# The local API listens on 127.0.0.1 only. PAPERTRAY_PORT overrides this. A new port applies at the next start.
# 0 picks a free port at each start (`papertray status` shows it; the extension must then be told by hand).
port = {DEFAULT_PORT}

[poll]
# Minutes between polls of Hugging Face Daily Papers (at least 5). A little jitter is added.
interval_minutes = 30
# After the machine slept or was offline, catch up on at most this many missed days.
catch_up_days = 14

[sources]
# Base URLs. PAPERTRAY_HF_URL and PAPERTRAY_ARXIV_URL override these.
hf_url = "{DEFAULT_HF_URL}"
arxiv_url = "{DEFAULT_ARXIV_URL}"
# Hugging Face's weekly, monthly and trending lists, polled every few hours: any of "week", "month", "trending".
hf_lists = []

[arxiv]
# arXiv archives ("cs") or categories ("cs.LG") whose daily announcements papertray follows, e.g. ["cs.LG", "cs.CL"].
categories = []

[notifications]
enabled = true
# At most this many notifications a day; the rest are summarised once the budget resets.
daily_budget = 12
# Held back during these hours (local time), then summarised. Empty to disable.
quiet_hours = "22:00-07:00"
# Papers first listed more than this many days ago (a catch-up after an absence, a backfill) get no notification
# of their own; a catch-up says "caught up: N papers" once instead.
max_age_days = 2

[library]
# Download the PDF of every saved paper so it can be read offline.
download_pdfs = true
max_pdf_mb = 80
# Hosts that downloads may reach even though they resolve to a private or loopback address.
allowed_private_hosts = []

[mcp]
# `papertray mcp` (your assistant's view of papertray) may also save, unsave, tag, note and dismiss papers.
allow_writes = false

# Interest rules: a new paper that matches a rule with notify = true raises a desktop notification.
# keywords match whole words or phrases in the title, abstract and ai_keywords, without regard to case or
# accents, each word with its plural or singular and its -ing/-ed forms ("sparse autoencoder" finds
# "Sparse Autoencoders"); exact = true matches the words only as written.
#
# [[rules]]
# name = "interpretability"
# keywords = ["sparse autoencoder", "mechanistic interpretability"]
# authors = []
# orgs = []
# exclude = []
# min_upvotes = 0
# notify = true
# exact = false

# The email digest (off by default); the SMTP password: papertray secrets set smtp_password
#
# [digest]
# schedule = "daily"            # daily | weekly (Mondays) | off
# at = "08:00"                  # local time
# to = "me@example.org"
# smtp_host = "smtp.example.org"
# smtp_port = 587
# smtp_security = "starttls"    # starttls | tls
# smtp_user = "me"
"""
