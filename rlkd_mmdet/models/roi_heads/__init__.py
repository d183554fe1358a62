from .rlkd_standard_roi_head import RLKDStandardRoIHead, SampledRoIs

__all__ = ['RLKDStandardRoIHead', 'SampledRoIs']
