from .base import BaseTemperatureSource, scatter_mean
from .ctkd import CTKDTemperature, cosine_curriculum, gradient_reversal
from .fixed import FixedTemperature
from .logit_standard import (LogitStandardKDLoss, LogitStandardTemperature,
                             standardize_logits)
from .rlkd import RLKDTemperature

__all__ = [
    'BaseTemperatureSource', 'FixedTemperature', 'RLKDTemperature',
    'scatter_mean', 'CTKDTemperature', 'cosine_curriculum',
    'gradient_reversal', 'LogitStandardTemperature', 'LogitStandardKDLoss',
    'standardize_logits'
]
