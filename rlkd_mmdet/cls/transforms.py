"""Data transforms of image classification.

The random transforms draw from numpy's global generator, which mmengine
seeds per process and per dataloader worker.
"""
from typing import Sequence, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .structures import ClsDataSample


@TRANSFORMS.register_module()
class ClsRandomCrop(BaseTransform):
    """Pad the image on every side, then crop a random square window.

    With ``size=32`` and ``padding=4`` this is the standard CIFAR
    augmentation: a random shift of up to 4 pixels in each direction.

    Required keys: ``img`` (np.ndarray of shape (H, W) or (H, W, C)).
    Modified keys: ``img``, ``img_shape``.

    Args:
        size (int): Side of the crop window. Defaults to 32.
        padding (int): Pixels added to each side before cropping.
            Defaults to 4.
        pad_val (int | float): Value of the padded pixels when
            ``padding_mode`` is ``'constant'``. Defaults to 0.
        padding_mode (str): ``numpy.pad`` mode: ``'constant'``, ``'edge'``,
            ``'reflect'`` or ``'symmetric'``. Defaults to ``'constant'``.
    """

    padding_modes = ('constant', 'edge', 'reflect', 'symmetric')

    def __init__(self,
                 size: int = 32,
                 padding: int = 4,
                 pad_val: Union[int, float] = 0,
                 padding_mode: str = 'constant'):
        if size <= 0:
            raise ValueError(f'size must be a positive int, but got {size}')
        if padding < 0:
            raise ValueError(
                f'padding must be a non-negative int, but got {padding}')
        if padding_mode not in self.padding_modes:
            raise ValueError(
                f'padding_mode must be one of {self.padding_modes}, but got '
                f'{padding_mode!r}')
        self.size = size
        self.padding = padding
        self.pad_val = pad_val
        self.padding_mode = padding_mode

    def transform(self, results: dict) -> dict:
        """Pad and crop ``results['img']``.

        Args:
            results (dict): Data information with ``img``.

        Returns:
            dict: ``results`` with the cropped image.
        """
        img = results['img']
        pad_width = [(self.padding, self.padding)] * 2
        pad_width += [(0, 0)] * (img.ndim - 2)
        if self.padding_mode == 'constant':
            img = np.pad(img, pad_width, constant_values=self.pad_val)
        else:
            img = np.pad(img, pad_width, mode=self.padding_mode)

        height, width = img.shape[:2]
        if height < self.size or width < self.size:
            raise ValueError(
                f'the padded image is {height}x{width}, smaller than the '
                f'{self.size}x{self.size} crop; lower size or raise padding')
        top = np.random.randint(0, height - self.size + 1)
        left = np.random.randint(0, width - self.size + 1)
        img = img[top:top + self.size, left:left + self.size]

        results['img'] = np.ascontiguousarray(img)
        results['img_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, '
                f'padding={self.padding}, pad_val={self.pad_val}, '
                f'padding_mode={self.padding_mode!r})')


@TRANSFORMS.register_module()
class ClsRandomFlip(BaseTransform):
    """Flip the image with probability ``prob``.

    Required keys: ``img``. Modified keys: ``img``. Added keys: ``flip``
    (bool) and ``flip_direction`` (str, or None when not flipped).

    Args:
        prob (float): Probability of flipping. Defaults to 0.5.
        direction (str): ``'horizontal'`` or ``'vertical'``.
            Defaults to ``'horizontal'``.
    """

    directions = ('horizontal', 'vertical')

    def __init__(self, prob: float = 0.5, direction: str = 'horizontal'):
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], but got {prob}')
        if direction not in self.directions:
            raise ValueError(
                f'direction must be one of {self.directions}, but got '
                f'{direction!r}')
        self.prob = prob
        self.direction = direction

    def transform(self, results: dict) -> dict:
        """Flip ``results['img']`` at random.

        Args:
            results (dict): Data information with ``img``.

        Returns:
            dict: ``results`` with the image and the flip record.
        """
        flip = bool(np.random.rand() < self.prob)
        if flip:
            axis = 1 if self.direction == 'horizontal' else 0
            results['img'] = np.ascontiguousarray(
                np.flip(results['img'], axis=axis))
        results['flip'] = flip
        results['flip_direction'] = self.direction if flip else None
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(prob={self.prob}, '
                f'direction={self.direction!r})')


@TRANSFORMS.register_module()
class PackClsInputs(BaseTransform):
    """Pack the image and label into the inputs of ``ImageClassifier``.

    Required keys: ``img``. Optional keys: ``gt_label`` and the
    ``meta_keys``.

    Args:
        meta_keys (Sequence[str]): Keys copied into the metainfo of the data
            sample when present. Defaults to ``('sample_idx', 'img_path',
            'ori_shape', 'img_shape', 'flip', 'flip_direction')``.

    Returns:
        dict: ``inputs``, a uint8 tensor of shape (C, H, W) (a (H, W) image
        gets C = 1), and ``data_samples``, a :class:`ClsDataSample`.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('sample_idx', 'img_path',
                                             'ori_shape', 'img_shape', 'flip',
                                             'flip_direction')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack ``results``.

        Args:
            results (dict): Data information with ``img``.

        Returns:
            dict: ``inputs`` and ``data_samples``.
        """
        if 'img' not in results:
            raise KeyError(
                f'PackClsInputs needs the key img, but the results have '
                f'{sorted(results)}; load the image first')
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(
            np.ascontiguousarray(img.transpose(2, 0, 1)))

        metainfo = {
            key: results[key]
            for key in self.meta_keys if key in results
        }
        data_sample = ClsDataSample(metainfo=metainfo)
        if 'gt_label' in results:
            data_sample.gt_label = results['gt_label']
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
