"""Digests (issue 15): the papers that matter to this user as local Atom feeds and as an email.

selection.py picks the papers of each digest (one entry per paper, with why it is there), atom.py writes them as
Atom, feed_key.py owns the feeds' read-only capability key, routes.py serves `/feeds/<key>/<name>.atom`,
files.py writes `<data>/feeds/*.atom` after every poll. The email digest: contents.py (what goes in),
email_message.py (the message), smtp.py (sending), schedule.py (when, and the record that sends it once),
service.py (the daemon part). Its settings are digest_settings.py (below config in the layers).
"""
