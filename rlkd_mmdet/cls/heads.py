"""Linear classification head."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn

from .structures import ClsDataSample


@MODELS.register_module()
class LinearClsHead(BaseModule):
    """Fully connected layer from a pooled feature vector to class logits.

    The loss receives class indices of shape (N,) when every sample has a
    hard label, and class probabilities of shape (N, num_classes) when any
    sample has a soft label (hard labels are then one-hot encoded). mmdet's
    ``CrossEntropyLoss`` (softmax mode) accepts both, because it calls
    ``F.cross_entropy``.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the input feature vector.
        loss (dict): Config of the classification loss. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        init_cfg (dict or list[dict], optional): Initialization config dict.
            Defaults to a normal initialisation (std 0.01) of the linear
            layer.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss: Union[ConfigType, nn.Module] = dict(
                     type='CrossEntropyLoss', loss_weight=1.0),
                 init_cfg: OptMultiConfig = dict(
                     type='Normal', layer='Linear', std=0.01)):
        super().__init__(init_cfg=init_cfg)
        if num_classes <= 0:
            raise ValueError(
                f'num_classes must be a positive int, but got {num_classes}')
        if in_channels <= 0:
            raise ValueError(
                f'in_channels must be a positive int, but got {in_channels}')
        self.num_classes = num_classes
        self.in_channels = in_channels

        if isinstance(loss, dict):
            self.loss_module = MODELS.build(loss)
        elif isinstance(loss, nn.Module):
            self.loss_module = loss
        else:
            raise TypeError(
                f'loss must be a config dict or an nn.Module, but got '
                f'{type(loss).__name__}')

        self.fc = nn.Linear(in_channels, num_classes)

    def pre_logits(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """Take the last feature of ``feats`` as the feature vector.

        Args:
            feats (tuple[Tensor]): Features from the backbone or neck; the
                last one must have shape (N, in_channels).

        Returns:
            Tensor: Feature vectors of shape (N, in_channels).
        """
        feat = feats[-1]
        if feat.ndim != 2:
            raise ValueError(
                f'LinearClsHead expects a pooled feature of shape '
                f'(N, {self.in_channels}), but got shape '
                f'{tuple(feat.shape)}; add neck=dict(type='
                f"'GlobalAveragePooling') to pool feature maps")
        return feat

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """Compute the class logits.

        Args:
            feats (tuple[Tensor]): Features; see :meth:`pre_logits`.

        Returns:
            Tensor: Logits of shape (N, num_classes).
        """
        return self.fc(self.pre_logits(feats))

    def loss(self, feats: Tuple[Tensor, ...],
             data_samples: Sequence[ClsDataSample]) -> Dict[str, Tensor]:
        """Compute the classification loss of a batch.

        Args:
            feats (tuple[Tensor]): Features; see :meth:`pre_logits`.
            data_samples (Sequence[ClsDataSample]): Samples with
                ``gt_label``.

        Returns:
            dict[str, Tensor]: ``loss_cls``.
        """
        logits = self(feats)
        targets = self.stack_targets(data_samples, device=logits.device)
        return dict(loss_cls=self.loss_module(logits, targets))

    def stack_targets(self,
                      data_samples: Sequence[ClsDataSample],
                      device: Optional[torch.device] = None) -> Tensor:
        """Stack the ``gt_label`` of the samples into a loss target.

        Args:
            data_samples (Sequence[ClsDataSample]): Samples with
                ``gt_label``.
            device (torch.device, optional): Device of the result.
                Defaults to None, the device of the labels.

        Returns:
            Tensor: Class indices of shape (N,) when every label is a class
            index, otherwise class probabilities of shape (N, num_classes).
        """
        labels = []
        for index, sample in enumerate(data_samples):
            if 'gt_label' not in sample:
                raise KeyError(
                    f'data sample {index} of the batch has no gt_label; '
                    f'pack it with PackClsInputs or set '
                    f'ClsDataSample.gt_label')
            label = sample.gt_label
            if label.is_floating_point():
                if label.numel() != self.num_classes:
                    raise ValueError(
                        f'data sample {index} has a soft label with '
                        f'{label.numel()} entries, but the head has '
                        f'{self.num_classes} classes')
            elif label.numel() != 1:
                raise ValueError(
                    f'data sample {index} has {label.numel()} class indices '
                    f'{label.tolist()}; LinearClsHead supports one class '
                    f'index or one probability vector per sample')
            elif not 0 <= int(label) < self.num_classes:
                raise ValueError(
                    f'data sample {index} has class index {int(label)}, '
                    f'outside [0, {self.num_classes - 1}]')
            labels.append(label.to(device))

        if all(not label.is_floating_point() for label in labels):
            return torch.cat(labels)

        rows = []
        for label in labels:
            if label.is_floating_point():
                rows.append(label.float())
            else:
                rows.append(
                    F.one_hot(label[0], self.num_classes).float())
        return torch.stack(rows)

    def predict(
        self,
        feats: Tuple[Tensor, ...],
        data_samples: Optional[Sequence[Optional[ClsDataSample]]] = None
    ) -> List[ClsDataSample]:
        """Predict class probabilities and labels.

        Args:
            feats (tuple[Tensor]): Features; see :meth:`pre_logits`.
            data_samples (Sequence[ClsDataSample], optional): Samples to
                write the predictions into. Defaults to None, which creates
                new samples.

        Returns:
            list[ClsDataSample]: Samples with ``pred_score`` (softmax of the
            logits) and ``pred_label``.
        """
        scores = F.softmax(self(feats), dim=1).detach()
        if data_samples is None:
            data_samples = [None] * scores.size(0)

        results = []
        for score, sample in zip(scores, data_samples):
            if sample is None:
                sample = ClsDataSample()
            sample.set_pred_score(score)
            results.append(sample)
        return results
