"""Allow-list of the types that mmengine checkpoints hold.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True`` and rejects
every global that is not on an allow-list. mmengine 0.10.7 calls
``torch.load`` without ``weights_only``, so its checkpoints fail to load:
they store the message hub's ``HistoryBuffer`` objects, numpy arrays and
scalars, a ``collections.Counter``, and ``getattr(HistoryBuffer, 'min')``-style
references to the buffer's statistics methods. This module allows exactly
those. ``getattr`` itself is not allowed: its name is mapped to a function
that returns HistoryBuffer statistics methods and raises for anything else.
"""
from collections import Counter
from typing import Any, List

import numpy as np
import torch

_registered = False


def history_buffer_getattr(obj: Any, name: str) -> Any:
    """Resolve ``getattr(HistoryBuffer, name)`` for a statistics method.

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    import pickle

    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = set(HistoryBuffer._statistics_methods) | {
        'min', 'max', 'current', 'mean'
    }
    if obj is not HistoryBuffer or name not in allowed:
        raise pickle.UnpicklingError(
            f'checkpoint asks for getattr({obj!r}, {name!r}); only the '
            f'statistics methods of HistoryBuffer ({sorted(allowed)}) are '
            'allowed')
    return getattr(HistoryBuffer, name)


def checkpoint_safe_globals() -> List[Any]:
    """Return the globals that mmengine checkpoints need beyond torch's."""
    from mmengine.logging.history_buffer import HistoryBuffer

    if int(np.__version__.split('.')[0]) >= 2:
        from numpy._core import multiarray
    else:
        from numpy.core import multiarray
    safe: List[Any] = [
        HistoryBuffer, Counter, np.ndarray, np.dtype,
        multiarray._reconstruct, multiarray.scalar,
        (history_buffer_getattr, 'builtins.getattr')
    ]
    # Concrete dtype classes (np.dtypes.Float64DType, ...) exist from numpy
    # 1.25; arrays of numpy >= 2 pickle a reference to their class.
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    return safe


def register_checkpoint_safe_globals() -> None:
    """Add the mmengine checkpoint globals to torch's ``weights_only`` list."""
    global _registered
    if _registered:
        return
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is None:
        # torch < 2.4 defaults to weights_only=False, so nothing is needed.
        _registered = True
        return
    add_safe_globals(checkpoint_safe_globals())
    _registered = True
