"""MobileNetV2 for 32x32 inputs, the "MobileNetV2" of the CIFAR KD tables."""
from typing import Sequence

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from torch import Tensor, nn

from .base import BaseCifarBackbone, conv_bn_relu


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expansion, 3x3 depthwise, 1x1 projection.

    The 1x1 expansion is kept even when ``expand_ratio`` is 1, as in the
    CIFAR knowledge-distillation benchmark model, so that the parameter
    count matches it.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the depthwise convolution, 1 or 2.
        expand_ratio (int): Ratio of hidden to input channels.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 expand_ratio: int):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'stride must be 1 or 2, but got {stride}')
        hidden_channels = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        self.conv = nn.Sequential(
            conv_bn_relu(in_channels, hidden_channels, 1),
            conv_bn_relu(
                hidden_channels,
                hidden_channels,
                3,
                stride,
                groups=hidden_channels),
            conv_bn_relu(
                hidden_channels, out_channels, 1, with_relu=False),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block, adding the input when the shapes match."""
        if self.use_residual:
            return x + self.conv(x)
        return self.conv(x)


@MODELS.register_module()
class CifarMobileNetV2(BaseCifarBackbone):
    """MobileNetV2 for 32x32 inputs, as in the CIFAR-100 KD benchmarks.

    Unlike the ImageNet MobileNetV2, the second block group keeps stride 1.
    With the stride-2 3x3 stem, a 32x32 input is thus reduced 16 times, to
    a 2x2 final feature map. The benchmarks' "MobileNetV2" is this
    network with ``widen_factor=0.5`` and ``expand_ratio=6``, the defaults.
    The last stage ends with a 1x1 convolution to 1280 channels (or
    ``1280 * widen_factor`` when ``widen_factor`` > 1).

    Args:
        widen_factor (float): Channel multiplier of the stem and the block
            groups. Defaults to 0.5.
        expand_ratio (int): Expansion ratio of all block groups except the
            first, which uses 1. Defaults to 6.
        out_indices (Sequence[int]): Block groups whose outputs ``forward``
            returns, from 0 to 6. Defaults to (6,), the last group with the
            closing 1x1 convolution.
        init_cfg (dict or list[dict], optional): Initialization config dict.
            Defaults to None, which selects the initialisation of
            :class:`BaseCifarBackbone`.
    """

    # Block groups as (expand ratio or None for ``expand_ratio``, output
    # channels before widening, number of blocks, stride of the first block).
    arch_settings = (
        (1, 16, 1, 1),
        (None, 24, 2, 1),
        (None, 32, 3, 2),
        (None, 64, 4, 2),
        (None, 96, 3, 1),
        (None, 160, 3, 2),
        (None, 320, 1, 1),
    )

    def __init__(self,
                 widen_factor: float = 0.5,
                 expand_ratio: int = 6,
                 out_indices: Sequence[int] = (6, ),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        if widen_factor <= 0:
            raise ValueError(
                f'widen_factor must be positive, but got {widen_factor}')
        if expand_ratio < 1:
            raise ValueError(
                f'expand_ratio must be a positive int, but got '
                f'{expand_ratio}')
        self.widen_factor = widen_factor

        in_channels = int(32 * widen_factor)
        self.stem = conv_bn_relu(3, in_channels, 3, stride=2)

        self.stages = nn.ModuleList()
        stage_channels = []
        for ratio, channels, num_blocks, first_stride in self.arch_settings:
            ratio = expand_ratio if ratio is None else ratio
            out_channels = int(channels * widen_factor)
            blocks = []
            for block_index in range(num_blocks):
                stride = first_stride if block_index == 0 else 1
                blocks.append(
                    InvertedResidual(in_channels, out_channels, stride,
                                     ratio))
                in_channels = out_channels
            self.stages.append(nn.Sequential(*blocks))
            stage_channels.append(out_channels)

        last_channels = int(1280 * max(1.0, widen_factor))
        self.stages[-1].append(conv_bn_relu(in_channels, last_channels, 1))
        stage_channels[-1] = last_channels
        self.stage_channels = tuple(stage_channels)

        self._set_out_indices(out_indices)
