"""Datasets of RLKD."""
from .digits_coco import CLASSES as DIGIT_CLASSES
from .digits_coco import build_digits_coco

__all__ = ['build_digits_coco', 'DIGIT_CLASSES']
