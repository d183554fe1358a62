from .rlkd_dense import RLKDDenseDistiller
from .rlkd_single_stage import RLKDSingleStageDetector
from .rlkd_two_stage import RLKDTwoStageDetector
from .teacher import build_frozen_teacher, resolve_teacher_config

__all__ = [
    'RLKDSingleStageDetector', 'build_frozen_teacher',
    'resolve_teacher_config'
]
__all__ += ['RLKDDenseDistiller', 'RLKDTwoStageDetector']
