"""ShuffleNetV2 for 32x32 inputs, the "ShuffleV2" of the CIFAR KD tables."""
from typing import Sequence

import torch
from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from torch import Tensor, nn

from .base import BaseCifarBackbone, channel_shuffle, conv_bn_relu


class ShuffleUnitV2(nn.Module):
    """ShuffleNetV2 unit.

    A stride-1 unit passes one half of the channels through and transforms
    the other half (1x1, depthwise 3x3, 1x1). A stride-2 unit transforms the
    whole input in two branches (depthwise 3x3 + 1x1, and 1x1 + depthwise
    3x3 + 1x1), each producing half of the output channels. Both end with a
    concatenation and a shuffle of two channel groups.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels, even; equal to
            ``in_channels`` for a stride-1 unit.
        stride (int): 1 or 2.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'stride must be 1 or 2, but got {stride}')
        if out_channels % 2 != 0:
            raise ValueError(
                f'out_channels must be even, but got {out_channels}')
        if stride == 1 and in_channels != out_channels:
            raise ValueError(
                f'a stride-1 unit keeps the channels, so out_channels '
                f'({out_channels}) must equal in_channels ({in_channels})')
        self.stride = stride
        branch_channels = out_channels // 2

        if stride == 2:
            self.branch1 = nn.Sequential(
                conv_bn_relu(
                    in_channels,
                    in_channels,
                    3,
                    stride,
                    groups=in_channels,
                    with_relu=False),
                conv_bn_relu(in_channels, branch_channels, 1),
            )
            branch2_in_channels = in_channels
        else:
            self.branch1 = None
            branch2_in_channels = branch_channels

        self.branch2 = nn.Sequential(
            conv_bn_relu(branch2_in_channels, branch_channels, 1),
            conv_bn_relu(
                branch_channels,
                branch_channels,
                3,
                stride,
                groups=branch_channels,
                with_relu=False),
            conv_bn_relu(branch_channels, branch_channels, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Apply the branches, concatenate and shuffle the channels."""
        if self.branch1 is None:
            passthrough, transformed = x.chunk(2, dim=1)
            out = torch.cat([passthrough, self.branch2(transformed)], dim=1)
        else:
            out = torch.cat([self.branch1(x), self.branch2(x)], dim=1)
        return channel_shuffle(out, 2)


@MODELS.register_module()
class CifarShuffleNetV2(BaseCifarBackbone):
    """ShuffleNetV2 for 32x32 inputs, as in the CIFAR-100 KD benchmarks.

    A 1x1 stem with 24 channels and no down-sampling, three stages whose
    first unit has stride 2, and a closing 1x1 convolution, which belongs to
    the last stage. A 32x32 input gives a 4x4 final feature map. The
    defaults (116/232/464 stage channels, 4/8/4 units, 1024 closing
    channels) are the benchmarks' "ShuffleV2", the 1x width of ShuffleNetV2.

    Args:
        stage_channels (Sequence[int]): Output channels of the three stages,
            each even. Defaults to (116, 232, 464).
        num_units (Sequence[int]): Units per stage, including the first,
            down-sampling unit. Defaults to (4, 8, 4).
        last_channels (int): Output channels of the closing 1x1
            convolution. Defaults to 1024.
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns. Defaults to (2,), the last stage.
        init_cfg (dict or list[dict], optional): Initialization config dict.
            Defaults to None, which selects the initialisation of
            :class:`BaseCifarBackbone`.
    """

    stem_channels = 24

    def __init__(self,
                 stage_channels: Sequence[int] = (116, 232, 464),
                 num_units: Sequence[int] = (4, 8, 4),
                 last_channels: int = 1024,
                 out_indices: Sequence[int] = (2, ),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        if len(stage_channels) != len(num_units):
            raise ValueError(
                f'stage_channels {tuple(stage_channels)} and num_units '
                f'{tuple(num_units)} must have one entry per stage')
        if min(num_units) < 1:
            raise ValueError(
                f'every stage needs at least one unit, but num_units is '
                f'{tuple(num_units)}')

        self.stem = conv_bn_relu(3, self.stem_channels, 1)

        self.stages = nn.ModuleList()
        in_channels = self.stem_channels
        for out_channels, units in zip(stage_channels, num_units):
            units_list = [ShuffleUnitV2(in_channels, out_channels, stride=2)]
            for _ in range(1, units):
                units_list.append(
                    ShuffleUnitV2(out_channels, out_channels, stride=1))
            self.stages.append(nn.Sequential(*units_list))
            in_channels = out_channels

        self.stages[-1].append(conv_bn_relu(in_channels, last_channels, 1))
        self.stage_channels = tuple(stage_channels[:-1]) + (last_channels, )

        self._set_out_indices(out_indices)
