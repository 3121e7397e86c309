"""Synthetic estates of any size, for benchmarks and scale tests.

- :mod:`nhigraph.synth.estate` writes one as the platforms' own export files (one module per export family:
  :mod:`.aws`, :mod:`.gcp`, :mod:`.azure`, :mod:`.kubernetes`, :mod:`.vault`, :mod:`.github`,
  :mod:`.gitleaks`, and the inventory registers in :mod:`.registers`), with the problems planted in it
  (``planted.json``); ``nhigraph synth``.
- :mod:`nhigraph.synth.inventory` writes one as nhigraph inventory CSV tables only (``--format inventory``).
"""
