"""MMEngine hooks of RLKD; importing this registers them.

Importing also allows the types of mmengine checkpoints in
``torch.load(weights_only=True)``, so ``--resume`` works under torch >= 2.6.
"""
from rlkd_mmdet.utils import register_checkpoint_safe_globals
from .hooks import RLKDHook, TemperatureLoggerHook

register_checkpoint_safe_globals()

__all__ = ['RLKDHook', 'TemperatureLoggerHook']
