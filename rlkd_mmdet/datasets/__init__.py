"""Datasets of RLKD."""
from .digits_coco import CLASSES as DIGIT_CLASSES
from .digits_coco import build_digits_coco, check_output_folder

__all__ = ['build_digits_coco', 'check_output_folder', 'DIGIT_CLASSES']
