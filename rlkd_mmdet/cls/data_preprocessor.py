"""Data preprocessor of image classification."""
from typing import Optional, Sequence, Union

from mmdet.registry import MODELS
from mmengine.model import ImgDataPreprocessor


@MODELS.register_module()
class ClsDataPreprocessor(ImgDataPreprocessor):
    """Stack, normalize and move a batch of classification inputs.

    It moves the batch, data samples included, to the model's device and
    converts the uint8 images of shape (C, H, W) to float. It then swaps BGR
    to RGB if requested, normalizes with ``mean`` and ``std``, and stacks the
    images into a tensor of shape (N, C, H, W), padding smaller images with
    ``pad_value``. All of this is done by
    :class:`mmengine.model.ImgDataPreprocessor`; this class only names the
    arguments as classification configs do.

    The CIFAR-100 and digits datasets of this package store RGB arrays, so
    they need ``to_rgb=False``; images read by mmcv's ``LoadImageFromFile``
    are BGR and need ``to_rgb=True``.

    Args:
        mean (Sequence[float], optional): Per-channel mean, in the channel
            order after the optional BGR to RGB swap. Defaults to None, no
            normalization.
        std (Sequence[float], optional): Per-channel standard deviation.
            Defaults to None.
        to_rgb (bool): Whether to swap the channels from BGR to RGB.
            Defaults to False.
        pad_size_divisor (int): Pad the stacked images to a multiple of this
            size. Defaults to 1.
        pad_value (float): Value of the padded pixels. Defaults to 0.
        non_blocking (bool): Whether to copy to the device without blocking.
            Defaults to False.
    """

    def __init__(self,
                 mean: Optional[Sequence[Union[float, int]]] = None,
                 std: Optional[Sequence[Union[float, int]]] = None,
                 to_rgb: bool = False,
                 pad_size_divisor: int = 1,
                 pad_value: Union[float, int] = 0,
                 non_blocking: bool = False):
        if (mean is None) != (std is None):
            raise ValueError(
                f'mean and std must be given together, but got mean={mean} '
                f'and std={std}')
        super().__init__(
            mean=mean,
            std=std,
            pad_size_divisor=pad_size_divisor,
            pad_value=pad_value,
            bgr_to_rgb=to_rgb,
            non_blocking=non_blocking)
