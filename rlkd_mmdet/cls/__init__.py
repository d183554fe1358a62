"""Image classification building blocks registered into mmdet's registries.

Importing this package registers the CIFAR backbones, the head, the
classifier and the data preprocessor into ``mmdet.registry.MODELS``, the
datasets into ``DATASETS``, the transforms into ``TRANSFORMS`` and the
accuracy metric into ``METRICS``. The classifier pools feature maps with
mmdet's own ``GlobalAveragePooling`` neck (``mmdet.models.reid``). The
distiller ``RLKDClassifierDistiller`` and the ``InstanceDKDLoss`` are
registered into ``MODELS`` too.
"""
from .backbones import (BaseCifarBackbone, CifarBottleneckResNet,
                        CifarMobileNetV2, CifarResNet, CifarResNetX4,
                        CifarShuffleNetV1, CifarShuffleNetV2, CifarVGG,
                        CifarWRN)
from .classifier import ImageClassifier
from .data_preprocessor import ClsDataPreprocessor
from .datasets import CIFAR100Dataset, DigitsClsDataset, ImageFolderDataset
from .distiller import RLKDClassifierDistiller
from .dkd_loss import InstanceDKDLoss, instance_dkd_loss
from .heads import LinearClsHead
from .metrics import ClsAccuracy
from .structures import ClsDataSample, format_label
from .transforms import ClsRandomCrop, ClsRandomFlip, PackClsInputs

__all__ = [
    'BaseCifarBackbone', 'CifarBottleneckResNet', 'CifarMobileNetV2',
    'CifarResNet', 'CifarResNetX4', 'CifarShuffleNetV1', 'CifarShuffleNetV2',
    'CifarVGG', 'CifarWRN', 'ImageClassifier', 'ClsDataPreprocessor',
    'CIFAR100Dataset', 'DigitsClsDataset', 'ImageFolderDataset',
    'LinearClsHead', 'ClsAccuracy', 'ClsDataSample',
    'format_label', 'ClsRandomCrop', 'ClsRandomFlip', 'PackClsInputs',
    'InstanceDKDLoss', 'instance_dkd_loss', 'RLKDClassifierDistiller'
]
