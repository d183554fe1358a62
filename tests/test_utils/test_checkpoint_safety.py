import io
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from rlkd_mmdet.utils import register_checkpoint_safe_globals

register_checkpoint_safe_globals()


def _save(obj) -> io.BytesIO:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return buffer


def test_message_hub_state_loads_with_weights_only():
    hub = MessageHub.get_instance('checkpoint_safety_test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', 0.25)
    hub.update_info('iter', 7)
    state = dict(
        message_hub=hub.state_dict(),
        array=np.arange(3, dtype=np.float32),
        scalar=np.float64(2.5))
    loaded = torch.load(_save(state), weights_only=True)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(0.375)
    assert buffer.current() == pytest.approx(0.25)
    assert loaded['array'].tolist() == [0.0, 1.0, 2.0]
    assert loaded['scalar'] == 2.5


class _Payload:

    def __reduce__(self):
        # A pickle that reaches a non-HistoryBuffer attribute via getattr.
        return (getattr, (np.ndarray, 'tofile'))


def test_getattr_outside_history_buffer_rejected():
    with pytest.raises(pickle.UnpicklingError):
        torch.load(_save(dict(bad=_Payload())), weights_only=True)


def test_unknown_class_still_rejected():

    class Unknown:
        pass

    global _UnknownForPickle
    _UnknownForPickle = Unknown
    Unknown.__qualname__ = '_UnknownForPickle'
    with pytest.raises(pickle.UnpicklingError):
        torch.load(_save(dict(obj=Unknown())), weights_only=True)
