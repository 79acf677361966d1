"""Keep PyTorch out of a process that only codes.

spaCy's machine-learning layer, thinc, imports PyTorch whenever it is installed (thinc/compat.py
tries `import torch`), though no pipeline Detente runs uses it: the small English model runs on
thinc's own NumPy layers and the MiniLM encoder on ONNX Runtime. Measured on one coding process
(`Coder(accurate=True)` after one story): 832 MB resident with torch imported, 599 MB without; a
`detente code --workers 2` run pays it in each worker. PyTorch is installed wherever Detente is
trained (the `train` extra), so that is most development machines.

`keep_torch_out()` is called before spaCy is first imported by the processes Detente owns that
only code: the worker processes of `detente code` (its local pool, and Dask workers where they
build Detente's coder) and the CLI's own process of `detente code` / `watch`. Training (`detente
train`, `eval --cv`) needs torch and does not call it, nor does the Python API (a user's process
may want spaCy with torch). DETENTE_SPACY_TORCH=1 turns it off.
"""

from __future__ import annotations

import importlib
import os
import sys

ENV_KEEP_TORCH = "DETENTE_SPACY_TORCH"


def keep_torch_out() -> bool:
    """Import thinc's compatibility module with `import torch` failing, so thinc runs as if torch
    were not installed. True when it did; False when too late (thinc or torch already imported)
    or turned off. A later `import torch` in the same process still works."""
    if os.environ.get(ENV_KEEP_TORCH) == "1" or "thinc.compat" in sys.modules or "torch" in sys.modules:
        return False
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` raises ImportError
    try:
        # imported here, not at the top: it must happen while `import torch` fails, and only in
        # the processes that call this
        importlib.import_module("thinc.compat")
    finally:
        del sys.modules["torch"]
    return True
