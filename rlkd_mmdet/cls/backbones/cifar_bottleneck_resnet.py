"""Four-stage bottleneck ResNet (ResNet-50 layout) for 32x32 inputs."""
from typing import Sequence

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from torch import Tensor, nn

from .base import BaseCifarBackbone, conv_bn_relu


class CifarBottleneck(nn.Module):
    """Bottleneck block (1x1, 3x3, 1x1) with the stride on the 3x3 conv.

    Args:
        in_channels (int): Input channels.
        mid_channels (int): Channels of the 3x3 convolution; the block
            outputs ``mid_channels * expansion``.
        stride (int): Stride of the 3x3 convolution. Defaults to 1.
    """

    expansion = 4

    def __init__(self, in_channels: int, mid_channels: int, stride: int = 1):
        super().__init__()
        out_channels = mid_channels * self.expansion
        self.conv1 = conv_bn_relu(in_channels, mid_channels, 1)
        self.conv2 = conv_bn_relu(mid_channels, mid_channels, 3, stride)
        self.conv3 = conv_bn_relu(
            mid_channels, out_channels, 1, with_relu=False)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = conv_bn_relu(
                in_channels, out_channels, 1, stride, with_relu=False)
        else:
            self.shortcut = nn.Identity()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the residual branch and add the shortcut."""
        out = self.conv3(self.conv2(self.conv1(x)))
        return self.relu(out + self.shortcut(x))


@MODELS.register_module()
class CifarBottleneckResNet(BaseCifarBackbone):
    """Bottleneck ResNet-50/101/152 adapted to 32x32 inputs.

    The four stages of the ImageNet ResNet (64, 128, 256 and 512 bottleneck
    widths, 2048 output channels), behind a 3x3 stride-1 stem without
    max-pooling. The CIFAR-100 knowledge-distillation benchmarks use the
    depth-50 model ("ResNet50") as the teacher of MobileNetV2. A 32x32 input
    gives a final feature map of 4x4.

    Args:
        depth (int): Network depth, one of 50, 101 and 152.
            Defaults to 50.
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns. Defaults to (3,), the last stage.
        init_cfg (dict or list[dict], optional): Initialization config dict.
            Defaults to None, which selects the initialisation of
            :class:`BaseCifarBackbone`.
    """

    # Blocks per stage, as in the ImageNet bottleneck ResNets.
    arch_settings = {
        50: (3, 4, 6, 3),
        101: (3, 4, 23, 3),
        152: (3, 8, 36, 3),
    }

    def __init__(self,
                 depth: int = 50,
                 out_indices: Sequence[int] = (3, ),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        if depth not in self.arch_settings:
            raise ValueError(
                f'depth must be one of {sorted(self.arch_settings)}, '
                f'but got {depth}')
        self.depth = depth

        self.stem = conv_bn_relu(3, 64, 3)

        self.stages = nn.ModuleList()
        stage_channels = []
        in_channels = 64
        for index, num_blocks in enumerate(self.arch_settings[depth]):
            mid_channels = 64 * 2**index
            first_stride = 1 if index == 0 else 2
            blocks = [CifarBottleneck(in_channels, mid_channels, first_stride)]
            in_channels = mid_channels * CifarBottleneck.expansion
            for _ in range(1, num_blocks):
                blocks.append(CifarBottleneck(in_channels, mid_channels))
            self.stages.append(nn.Sequential(*blocks))
            stage_channels.append(in_channels)
        self.stage_channels = tuple(stage_channels)

        self._set_out_indices(out_indices)
