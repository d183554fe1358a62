"""Wide ResNets (WRN-d-k) for 32x32 inputs."""
from typing import Sequence

import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from torch import Tensor, nn

from .base import BaseCifarBackbone


class WideBasicBlock(nn.Module):
    """Pre-activation block of two 3x3 convolutions.

    When the channels change, the BN-ReLU output feeds both the residual
    branch and the 1x1 shortcut convolution; otherwise the shortcut is the
    raw input.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first convolution and the shortcut.
        drop_rate (float): Dropout probability between the two
            convolutions. Defaults to 0.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int,
                 drop_rate: float = 0.0):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, 1, padding=1, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.drop_rate = drop_rate

        self.equal_in_out = in_channels == out_channels
        if self.equal_in_out:
            if stride != 1:
                raise ValueError(
                    f'a block with equal input and output channels '
                    f'({in_channels}) has an identity shortcut, so its '
                    f'stride must be 1, but got {stride}')
            self.shortcut = None
        else:
            self.shortcut = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the pre-activation residual branch and add the shortcut."""
        activated = self.relu(self.bn1(x))
        out = self.relu(self.bn2(self.conv1(activated)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        out = self.conv2(out)

        if self.shortcut is None:
            return x + out
        return self.shortcut(activated) + out


@MODELS.register_module()
class CifarWRN(BaseCifarBackbone):
    """Wide ResNet WRN-``depth``-``widen_factor`` for 32x32 inputs.

    A 3x3 stem with 16 channels, three stages of ``(depth - 4) / 6``
    pre-activation blocks with ``16k``, ``32k`` and ``64k`` channels
    (first strides 1, 2, 2), and a closing BN-ReLU, which belongs to the last
    stage. The CIFAR-100 knowledge-distillation benchmarks use WRN-40-2,
    WRN-40-1 and WRN-16-2. A 32x32 input gives a final feature map of 8x8.

    Args:
        depth (int): Network depth, ``6n + 4`` (10, 16, 22, 28, 40, ...).
        widen_factor (int): Channel multiplier k. Defaults to 1.
        drop_rate (float): Dropout probability inside each block.
            Defaults to 0.
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns. Defaults to (2,), the last stage.
        init_cfg (dict or list[dict], optional): Initialization config dict.
            Defaults to None, which selects the initialisation of
            :class:`BaseCifarBackbone`.
    """

    def __init__(self,
                 depth: int,
                 widen_factor: int = 1,
                 drop_rate: float = 0.0,
                 out_indices: Sequence[int] = (2, ),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        if depth < 10 or (depth - 4) % 6 != 0:
            raise ValueError(
                f'depth must be 6n + 4 with n >= 1 (10, 16, 22, 28, 40, ...), '
                f'but got {depth}')
        if widen_factor < 1:
            raise ValueError(
                f'widen_factor must be a positive int, but got {widen_factor}')
        if not 0.0 <= drop_rate < 1.0:
            raise ValueError(
                f'drop_rate must be in [0, 1), but got {drop_rate}')
        self.depth = depth
        self.widen_factor = widen_factor
        num_blocks = (depth - 4) // 6

        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)

        stage_channels = tuple(16 * 2**index * widen_factor
                               for index in range(3))
        self.stages = nn.ModuleList()
        in_channels = 16
        for index, out_channels in enumerate(stage_channels):
            first_stride = 1 if index == 0 else 2
            blocks = [
                WideBasicBlock(in_channels, out_channels, first_stride,
                               drop_rate)
            ]
            for _ in range(1, num_blocks):
                blocks.append(
                    WideBasicBlock(out_channels, out_channels, 1, drop_rate))
            if index == len(stage_channels) - 1:
                blocks += [
                    nn.BatchNorm2d(out_channels),
                    nn.ReLU(inplace=True)
                ]
            self.stages.append(nn.Sequential(*blocks))
            in_channels = out_channels
        self.stage_channels = stage_channels

        self._set_out_indices(out_indices)
