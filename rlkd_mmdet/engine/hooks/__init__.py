from .rlkd_hook import RLKDHook
from .temperature_logger_hook import TemperatureLoggerHook

__all__ = ['RLKDHook', 'TemperatureLoggerHook']
