"""Shared structure of the CIFAR backbones: a stem followed by stages."""
from typing import Sequence, Tuple

import torch
from mmdet.utils import OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor, nn

# Kaiming-normal convolutions (fan_out) and unit BatchNorm scales. The CRD
# benchmark code initialises its ResNets, WRNs, VGGs and MobileNetV2 this way
# and leaves its ShuffleNets at PyTorch's default initialisation.
DEFAULT_INIT_CFG = [
    dict(type='Kaiming', layer='Conv2d', mode='fan_out',
         nonlinearity='relu'),
    dict(type='Constant', val=1, bias=0, layer=['_BatchNorm', 'GroupNorm']),
]


class BaseCifarBackbone(BaseModule):
    """Base class of the CIFAR backbones.

    A subclass builds ``self.stem`` (an ``nn.Module``), ``self.stages`` (an
    ``nn.ModuleList``) and ``self.stage_channels`` (the output channels of
    each stage), then calls :meth:`_set_out_indices`. The closing layers of a
    network (such as the last BN-ReLU of a WRN or the last 1x1 convolution of
    MobileNetV2) belong to its last stage, so the last stage output is the
    feature map that the classifier pools.

    Args:
        init_cfg (dict or list[dict], optional): Initialization config dict.
            Defaults to None, which selects ``DEFAULT_INIT_CFG``:
            Kaiming-normal convolutions (``fan_out``) and BatchNorm weights
            of 1 and biases of 0.
    """

    stem: nn.Module
    stages: nn.ModuleList
    stage_channels: Tuple[int, ...]

    def __init__(self, init_cfg: OptMultiConfig = None):
        if init_cfg is None:
            init_cfg = DEFAULT_INIT_CFG
        super().__init__(init_cfg=init_cfg)

    def _set_out_indices(self, out_indices: Sequence[int]) -> None:
        """Validate ``out_indices`` and store them as sorted non-negative ints.

        Args:
            out_indices (Sequence[int]): Indices of the stages whose outputs
                ``forward`` returns. Negative indices count from the end.
        """
        num_stages = len(self.stages)
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        if len(out_indices) == 0:
            raise ValueError(
                f'out_indices is empty; pass at least one stage index in '
                f'[{-num_stages}, {num_stages - 1}], e.g. ({num_stages - 1},)')

        normalized = []
        for index in out_indices:
            if not -num_stages <= index < num_stages:
                raise ValueError(
                    f'out_indices contains {index}, but '
                    f'{type(self).__name__} has {num_stages} stages; use '
                    f'indices in [{-num_stages}, {num_stages - 1}]')
            normalized.append(index % num_stages)
        self.out_indices = tuple(sorted(set(normalized)))

    @property
    def out_channels(self) -> int:
        """int: Channels of the last feature map that ``forward`` returns."""
        return self.stage_channels[self.out_indices[-1]]

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Compute the feature maps of the selected stages.

        Args:
            x (Tensor): Images of shape (N, 3, H, W).

        Returns:
            tuple[Tensor]: One unpooled feature map of shape (N, C, H', W')
            per index in ``out_indices``, in stage order. With the default
            ``out_indices`` this is the final feature map only, which a
            ``GlobalAveragePooling`` neck turns into the feature vector.
        """
        x = self.stem(x)
        outs = []
        for index, stage in enumerate(self.stages):
            x = stage(x)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` equal channel groups.

    Args:
        x (Tensor): Feature map of shape (N, C, H, W), with C divisible by
            ``groups``.
        groups (int): Number of channel groups.

    Returns:
        Tensor: Feature map of the same shape whose channel ``i * groups + g``
        is input channel ``g * (C // groups) + i``.
    """
    batch_size, channels, height, width = x.shape
    x = x.view(batch_size, groups, channels // groups, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batch_size, channels, height, width)


def conv_bn_relu(in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 groups: int = 1,
                 with_relu: bool = True) -> nn.Sequential:
    """Build a bias-free convolution followed by BatchNorm and ReLU.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Square kernel size; the padding keeps the spatial
            size at stride 1.
        stride (int): Convolution stride. Defaults to 1.
        groups (int): Convolution groups. Defaults to 1.
        with_relu (bool): Whether to end with a ReLU. Defaults to True.

    Returns:
        nn.Sequential: The conv, BN and optional ReLU layers.
    """
    layers = [
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            groups=groups,
            bias=False),
        nn.BatchNorm2d(out_channels),
    ]
    if with_relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)
