"""For you: a local, explainable ranking learned from what the user saves, reads and dismisses (issue 14).

* `features`: a paper as a bag of prefixed features (title and abstract words and bigrams, authors, categories,
  HF keywords) -- pure Python, so the daemon scores without scikit-learn.
* `trainer`: fits tf-idf plus a logistic regression with scikit-learn, in a child process (`python -m
  papertray.ranking.trainer`), so the daemon never imports scikit-learn, numpy or scipy.
* `scorer`: the trained weights as a plain table: a score and the few features that moved it, with sign.
* `signals`: what counts as a signal (saved, read, notes/tags, the imported library, dismissed; never "seen").
* `model_file`: the model in the data folder as JSON (never pickle: a file anyone could drop there must not
  run code), written atomically; a corrupt or older-version file is rebuilt from the signals.
* `service`: the daemon's ranker: retrains on a debounce after signals arrive, off the event loop.
"""
