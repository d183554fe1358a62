from .base import BaseTemperatureSource, scatter_mean
from .fixed import FixedTemperature
from .rlkd import RLKDTemperature

__all__ = [
    'BaseTemperatureSource', 'FixedTemperature', 'RLKDTemperature',
    'scatter_mean'
]
