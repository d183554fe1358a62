"""Three-stage CIFAR ResNets (resnet20/32/56/110, resnet8x4, resnet32x4)."""
from typing import Sequence

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from torch import Tensor, nn

from .base import BaseCifarBackbone, conv_bn_relu


class CifarBasicBlock(nn.Module):
    """Post-activation residual block of two 3x3 convolutions.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first convolution. Defaults to 1.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv1 = conv_bn_relu(in_channels, out_channels, 3, stride)
        self.conv2 = conv_bn_relu(
            out_channels, out_channels, 3, with_relu=False)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = conv_bn_relu(
                in_channels, out_channels, 1, stride, with_relu=False)
        else:
            self.shortcut = nn.Identity()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the residual branch and add the shortcut."""
        out = self.conv2(self.conv1(x))
        return self.relu(out + self.shortcut(x))


@MODELS.register_module()
class CifarResNet(BaseCifarBackbone):
    """ResNet for 32x32 inputs with three stages of basic blocks.

    This is the "resnet_cifar" family of the CIFAR-100 knowledge-distillation
    benchmarks (CRD, DKD, CTKD): a 3x3 stem without down-sampling, then three
    stages of ``(depth - 2) / 6`` basic blocks whose first block has stride
    1, 2 and 2. With the defaults it is resnet20/32/44/56/110; see
    :class:`CifarResNetX4` for the 4x wider resnet8x4 and resnet32x4.

    A 32x32 input gives a final feature map of 8x8.

    Args:
        depth (int): Network depth, ``6n + 2`` (8, 14, 20, 32, 44, 56, 110).
        stem_channels (int): Output channels of the 3x3 stem. Defaults to 16.
        stage_channels (Sequence[int]): Output channels of the three stages.
            Defaults to (16, 32, 64).
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns. Defaults to (2,), the last stage.
        init_cfg (dict or list[dict], optional): Initialization config dict.
            Defaults to None, which selects the initialisation of
            :class:`BaseCifarBackbone`.

    Example:
        >>> import torch
        >>> model = CifarResNet(depth=20)
        >>> [tuple(out.shape) for out in model(torch.rand(2, 3, 32, 32))]
        [(2, 64, 8, 8)]
    """

    def __init__(self,
                 depth: int,
                 stem_channels: int = 16,
                 stage_channels: Sequence[int] = (16, 32, 64),
                 out_indices: Sequence[int] = (2, ),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        if depth < 8 or (depth - 2) % 6 != 0:
            raise ValueError(
                f'depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, '
                f'110, ...), but got {depth}')
        if len(stage_channels) != 3:
            raise ValueError(
                f'stage_channels must have 3 entries, one per stage, but got '
                f'{tuple(stage_channels)}')
        self.depth = depth
        num_blocks = (depth - 2) // 6

        self.stem = conv_bn_relu(3, stem_channels, 3)

        self.stages = nn.ModuleList()
        in_channels = stem_channels
        for index, out_channels in enumerate(stage_channels):
            first_stride = 1 if index == 0 else 2
            blocks = [CifarBasicBlock(in_channels, out_channels, first_stride)]
            for _ in range(1, num_blocks):
                blocks.append(CifarBasicBlock(out_channels, out_channels))
            self.stages.append(nn.Sequential(*blocks))
            in_channels = out_channels
        self.stage_channels = tuple(stage_channels)

        self._set_out_indices(out_indices)


@MODELS.register_module()
class CifarResNetX4(CifarResNet):
    """CIFAR ResNet with 4x wider stages: resnet8x4 and resnet32x4.

    Same layout as :class:`CifarResNet`, with a 32-channel stem and stages of
    64, 128 and 256 channels, as the CIFAR-100 knowledge-distillation
    benchmarks define these two models.

    Args:
        depth (int): Network depth, ``6n + 2``; the benchmarks use 8 and 32.
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns. Defaults to (2,), the last stage.
        init_cfg (dict or list[dict], optional): Initialization config dict.
            Defaults to None.
    """

    def __init__(self,
                 depth: int,
                 out_indices: Sequence[int] = (2, ),
                 init_cfg: OptMultiConfig = None):
        super().__init__(
            depth=depth,
            stem_channels=32,
            stage_channels=(64, 128, 256),
            out_indices=out_indices,
            init_cfg=init_cfg)
