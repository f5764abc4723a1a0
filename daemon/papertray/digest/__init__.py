"""Digests (issue 15): the papers that matter to this user as local Atom feeds and as an email.

selection.py picks the papers of each digest (one entry per paper, with why it is there), atom.py writes them as
Atom, feed_key.py owns the feeds' read-only capability key, routes.py serves `/feeds/<key>/<name>.atom`,
files.py writes `<data>/feeds/*.atom` after every poll. The email digest lives in email_*.py and schedule.py.
"""
