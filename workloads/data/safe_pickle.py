"""Reading pickled data files (CIFAR batches) without running the code a crafted pickle names.

`pickle.load` imports and calls whatever global a file names (`os.system`, `builtins.eval`, ...),
so a downloaded batch could run code. This unpickler resolves only the globals a pickled dict of
numpy arrays, lists, strings and numbers needs, and refuses every other one before anything is
called:

- numpy array and scalar reconstruction, under numpy 1's and numpy 2's module names:
  `numpy.core.multiarray._reconstruct` / `numpy._core.multiarray._reconstruct`, `numpy.ndarray`,
  `numpy.dtype`, `numpy[._]core.multiarray.scalar` (a numpy integer in a label list) and
  `numpy[._]core.numeric._frombuffer` (arrays in protocol-5 pickles, Python 3.14's default);
- `_codecs.encode`, which Python 3 pickles of `bytes` at protocols 0-2 call, admitted only with
  the latin-1 codec those pickles use (another codec name is refused).

Python 2's batches (the official CIFAR files) need `encoding="bytes"`; their keys come back as bytes.
"""
from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

from workloads.data.types import DatasetError

NUMPY_MODULES = ("numpy.core.multiarray", "numpy._core.multiarray")
ALLOWED = frozenset(
    [(m, "_reconstruct") for m in NUMPY_MODULES] + [(m, "scalar") for m in NUMPY_MODULES]
    + [("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
       ("numpy", "ndarray"), ("numpy", "dtype")]
)


class RefusedGlobal(pickle.UnpicklingError):
    """A pickle names a global outside the allowed set."""


def latin1_encode(text: str, encoding: str = "latin1", errors: str = "strict") -> bytes:
    """`_codecs.encode` as Python 3's protocol-2 pickles of bytes use it, and nothing more."""
    if encoding.replace("-", "").replace("_", "").lower() not in ("latin1", "iso88591"):
        raise RefusedGlobal(f"_codecs.encode with codec {encoding!r} (only latin-1 is admitted)")
    return text.encode("latin1", errors)


class DataUnpickler(pickle.Unpickler):
    """`pickle.Unpickler` whose `find_class` admits only numpy array reconstruction (see the module)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("_codecs", "encode"):
            return latin1_encode
        if (module, name) not in ALLOWED:
            raise RefusedGlobal(f"refuses global {module}.{name}")
        return super().find_class(module, name)


def load_data_pickle(path: Path, what: str = "pickle") -> Any:
    """The object pickled in `path`, read by DataUnpickler (Python 2 str as bytes).

    Raises DatasetError naming `path` for a refused global (nothing the file names is called) and for
    a truncated or corrupt file.
    """
    try:
        blob = path.read_bytes()
    except OSError as err:
        raise DatasetError(f"{path}: unreadable {what} ({type(err).__name__})") from None
    try:
        return DataUnpickler(io.BytesIO(blob), encoding="bytes").load()
    except RefusedGlobal as err:
        raise DatasetError(f"{path}: not a plain data {what}: the unpickler {err}; the file is not read") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError,
            IndexError, KeyError, MemoryError) as err:
        raise DatasetError(f"{path}: truncated or corrupt {what} ({type(err).__name__})") from None
