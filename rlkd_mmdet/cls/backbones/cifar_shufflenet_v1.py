"""ShuffleNetV1 for 32x32 inputs, the "ShuffleV1" of the CIFAR KD tables."""
from typing import Sequence

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from torch import Tensor, nn

from .base import BaseCifarBackbone, channel_shuffle, conv_bn_relu


class ShuffleUnitV1(nn.Module):
    """ShuffleNetV1 unit: grouped 1x1, channel shuffle, depthwise 3x3,
    grouped 1x1.

    A stride-2 unit concatenates its branch with a 3x3 average-pooled
    shortcut, so it outputs ``in_channels + branch_channels`` channels. A
    stride-1 unit adds the input and needs ``branch_channels ==
    in_channels``.

    Args:
        in_channels (int): Input channels.
        branch_channels (int): Output channels of the residual branch.
        stride (int): 1 or 2.
        groups (int): Groups of the 1x1 convolutions.
        group_first_conv (bool): Whether the first 1x1 convolution is
            grouped. The first unit of the network leaves it ungrouped
            because its input, the stem output, has few channels.
    """

    def __init__(self, in_channels: int, branch_channels: int, stride: int,
                 groups: int, group_first_conv: bool):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'stride must be 1 or 2, but got {stride}')
        if stride == 1 and branch_channels != in_channels:
            raise ValueError(
                f'a stride-1 unit adds its input, so branch_channels '
                f'({branch_channels}) must equal in_channels '
                f'({in_channels})')
        mid_channels = branch_channels // 4
        first_groups = groups if group_first_conv else 1
        self.stride = stride
        self.first_groups = first_groups

        self.conv1 = conv_bn_relu(
            in_channels, mid_channels, 1, groups=first_groups)
        # The benchmark model applies a ReLU after the depthwise conv too.
        self.conv2 = conv_bn_relu(
            mid_channels, mid_channels, 3, stride, groups=mid_channels)
        self.conv3 = conv_bn_relu(
            mid_channels, branch_channels, 1, groups=groups, with_relu=False)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the branch and merge it with the shortcut."""
        out = self.conv1(x)
        out = channel_shuffle(out, self.first_groups)
        out = self.conv3(self.conv2(out))

        if self.stride == 2:
            shortcut = F.avg_pool2d(x, 3, stride=2, padding=1)
            return F.relu(torch.cat([out, shortcut], dim=1))
        return F.relu(out + x)


@MODELS.register_module()
class CifarShuffleNetV1(BaseCifarBackbone):
    """ShuffleNetV1 for 32x32 inputs, as in the CIFAR-100 KD benchmarks.

    A 1x1 stem with 24 channels and no down-sampling, then three stages whose
    first unit has stride 2, so a 32x32 input gives a 4x4 final feature map.
    The defaults (3 groups, 240/480/960 channels, 4/8/4 units) are the
    benchmarks' "ShuffleV1".

    Args:
        groups (int): Groups of the 1x1 convolutions. Defaults to 3.
        stage_channels (Sequence[int]): Output channels of the three stages.
            Each must be divisible by ``4 * groups``. Defaults to
            (240, 480, 960).
        num_units (Sequence[int]): Units per stage, including the first,
            down-sampling unit. Defaults to (4, 8, 4).
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns. Defaults to (2,), the last stage.
        init_cfg (dict or list[dict], optional): Initialization config dict.
            Defaults to None, which selects the initialisation of
            :class:`BaseCifarBackbone`.
    """

    stem_channels = 24

    def __init__(self,
                 groups: int = 3,
                 stage_channels: Sequence[int] = (240, 480, 960),
                 num_units: Sequence[int] = (4, 8, 4),
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
        self.groups = groups

        self.stem = conv_bn_relu(3, self.stem_channels, 1)

        self.stages = nn.ModuleList()
        in_channels = self.stem_channels
        for stage_index, (out_channels, units) in enumerate(
                zip(stage_channels, num_units)):
            # The stride-2 unit concatenates its input to the branch. The
            # grouped 1x1 convolutions and the shuffle need the branch and
            # its quarter (the mid channels) to be divisible by the groups.
            for channels in (out_channels - in_channels, out_channels):
                if channels <= 0 or channels % (4 * groups) != 0:
                    raise ValueError(
                        f'stage {stage_index} has {out_channels} output '
                        f'channels and {in_channels} input channels, so a '
                        f'branch has {channels} channels; branch channels '
                        f'must be a positive multiple of 4 * groups = '
                        f'{4 * groups}')
            units_list = [
                ShuffleUnitV1(
                    in_channels,
                    out_channels - in_channels,
                    stride=2,
                    groups=groups,
                    group_first_conv=stage_index > 0)
            ]
            for _ in range(1, units):
                units_list.append(
                    ShuffleUnitV1(
                        out_channels,
                        out_channels,
                        stride=1,
                        groups=groups,
                        group_first_conv=True))
            self.stages.append(nn.Sequential(*units_list))
            in_channels = out_channels
        self.stage_channels = tuple(stage_channels)

        self._set_out_indices(out_indices)
