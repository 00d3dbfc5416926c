"""The progress-bar class: notebook widgets when they can be drawn, plain text otherwise.

``tqdm.auto`` picks the notebook bar inside Jupyter, but when ``ipywidgets`` is not
installed it prints "IProgress not found. Please update jupyter and ipywidgets" into every
notebook (a ``TqdmWarning``). Here the notebook bar is chosen only when ``ipywidgets`` can
be imported; otherwise the plain text bar, which notebooks show without a warning.
Private: the profile and the study import :data:`tqdm` from here.

Examples
--------
>>> tqdm.__module__ in ("tqdm.std", "tqdm.auto", "tqdm.asyncio", "tqdm.notebook")
True
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("ipywidgets") is not None:
    from tqdm.auto import tqdm
else:  # tqdm.auto would warn in a notebook without ipywidgets
    from tqdm.std import tqdm

__all__ = ["tqdm"]
