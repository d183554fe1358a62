from .rlkd_ld_head import RLKDLDHead

__all__ = ['RLKDLDHead']
