from .rlkd_single_stage import RLKDSingleStageDetector
from .teacher import build_frozen_teacher, resolve_teacher_config

__all__ = [
    'RLKDSingleStageDetector', 'build_frozen_teacher',
    'resolve_teacher_config'
]
