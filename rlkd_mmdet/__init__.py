"""RLKD for MMDetection: per-instance KD temperatures chosen by a PPO agent.

This file imports nothing heavy, so ``rlkd_mmdet.rl`` (the agent core) loads
without mmengine or mmdet. Configs register the mmdet glue through
``custom_imports = dict(imports=['rlkd_mmdet.models', 'rlkd_mmdet.engine',
'rlkd_mmdet.datasets'])``.
"""
from .version import __version__

__all__ = ['__version__']
