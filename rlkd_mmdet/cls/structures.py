"""Data sample of image classification."""
from numbers import Integral
from typing import Sequence, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement
from torch import Tensor

LabelType = Union[Tensor, np.ndarray, Sequence[Union[int, float]], int]


def format_label(value: LabelType) -> Tensor:
    """Convert a class index or a label vector to a 1-D tensor.

    An int, or any integer array, becomes a LongTensor of class indices
    (shape (1,) for a single label). A floating-point array becomes a float
    tensor, read as a soft label: one probability per class.

    Args:
        value (Tensor | np.ndarray | Sequence | int): The label.

    Returns:
        Tensor: A 1-D LongTensor of class indices or a 1-D float tensor of
        class probabilities.
    """
    if isinstance(value, Integral) and not isinstance(value, bool):
        return torch.tensor([int(value)], dtype=torch.long)
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        value = torch.tensor(value)
    if not isinstance(value, Tensor):
        raise TypeError(
            f'a label must be an int, a sequence, a numpy array or a '
            f'Tensor, but got {type(value).__name__}: {value!r}')

    if value.ndim == 0:
        value = value.reshape(1)
    if value.ndim != 1:
        raise ValueError(
            f'a label must be a class index or a 1-D label vector, but got '
            f'a tensor of shape {tuple(value.shape)}')
    if value.is_floating_point():
        return value.float()
    if value.dtype == torch.bool:
        raise TypeError(
            'a label must hold class indices or class probabilities, '
            'but got a bool tensor')
    return value.long()


class ClsDataSample(BaseDataElement):
    """Data sample of image classification.

    Its data fields are:

    - ``gt_label`` (Tensor): Ground truth. Either a LongTensor of class
      indices, of shape (1,) for single-label data, or a float tensor of
      shape (num_classes,) holding a soft label (class probabilities, e.g.
      after mixing two images).
    - ``pred_score`` (Tensor): Predicted class probabilities, shape
      (num_classes,).
    - ``pred_label`` (Tensor): Predicted class index, LongTensor of shape
      (1,).

    Each setter also accepts ints, sequences and numpy arrays and converts
    them as :func:`format_label` does. Metainfo such as ``sample_idx``,
    ``img_shape`` and ``img_path`` is passed as ``metainfo``.

    Example:
        >>> sample = ClsDataSample(metainfo=dict(sample_idx=3))
        >>> sample.gt_label = 7
        >>> sample.gt_label
        tensor([7])
        >>> sample.set_pred_score(torch.tensor([0.1, 0.9])).pred_label
        tensor([1])
    """

    @property
    def gt_label(self) -> Tensor:
        """Tensor: Class indices (LongTensor) or class probabilities."""
        return self._gt_label

    @gt_label.setter
    def gt_label(self, value: LabelType) -> None:
        self.set_field(format_label(value), '_gt_label', dtype=Tensor)

    @gt_label.deleter
    def gt_label(self) -> None:
        del self._gt_label

    @property
    def pred_score(self) -> Tensor:
        """Tensor: Predicted class probabilities, shape (num_classes,)."""
        return self._pred_score

    @pred_score.setter
    def pred_score(self, value: Union[Tensor, np.ndarray,
                                      Sequence[float]]) -> None:
        score = format_label(value).float()
        self.set_field(score, '_pred_score', dtype=Tensor)

    @pred_score.deleter
    def pred_score(self) -> None:
        del self._pred_score

    @property
    def pred_label(self) -> Tensor:
        """Tensor: Predicted class index, LongTensor of shape (1,)."""
        return self._pred_label

    @pred_label.setter
    def pred_label(self, value: Union[Tensor, np.ndarray, int]) -> None:
        label = format_label(value)
        if label.is_floating_point():
            raise TypeError(
                f'pred_label must be a class index, but got the float '
                f'tensor {label}; set probabilities as pred_score instead')
        self.set_field(label, '_pred_label', dtype=Tensor)

    @pred_label.deleter
    def pred_label(self) -> None:
        del self._pred_label

    def set_gt_label(self, value: LabelType) -> 'ClsDataSample':
        """Set ``gt_label`` and return this sample, for chaining.

        Args:
            value (Tensor | np.ndarray | Sequence | int): Class index or
                label vector, converted by :func:`format_label`.

        Returns:
            ClsDataSample: This sample.
        """
        self.gt_label = value
        return self

    def set_pred_score(self, value: Tensor) -> 'ClsDataSample':
        """Set ``pred_score`` and its arg-max as ``pred_label``.

        Args:
            value (Tensor): Class probabilities of shape (num_classes,).

        Returns:
            ClsDataSample: This sample.
        """
        self.pred_score = value
        self.pred_label = self.pred_score.argmax(dim=0, keepdim=True)
        return self

    def is_soft_label(self) -> bool:
        """Return whether ``gt_label`` contains class probabilities."""
        return 'gt_label' in self and self.gt_label.is_floating_point()
