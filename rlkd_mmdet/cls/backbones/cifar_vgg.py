"""VGG with BatchNorm for 32x32 inputs, without the fully connected layers."""
from typing import Sequence

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from torch import nn

from .base import BaseCifarBackbone


@MODELS.register_module()
class CifarVGG(BaseCifarBackbone):
    """VGG-BN for 32x32 inputs, as in the CIFAR-100 KD benchmarks.

    Five stages of 3x3 convolutions (with bias) + BN + ReLU of 64, 128, 256,
    512 and 512 channels. Stages 1 to 3 start with a 2x2 max-pooling; stage 4
    keeps the 4x4 resolution of a 32x32 input. The three fully connected
    layers of the ImageNet VGG are dropped, so a linear head follows the
    pooled 512-channel feature. The benchmarks call depth 8 and 13 "vgg8"
    and "vgg13"; depth 8 has a single convolution per stage.

    Args:
        depth (int): One of 8, 11, 13, 16 and 19.
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns. Defaults to (4,), the last stage.
        init_cfg (dict or list[dict], optional): Initialization config dict.
            Defaults to None, which selects the initialisation of
            :class:`BaseCifarBackbone`.
    """

    # Convolutions per stage for each depth.
    arch_settings = {
        8: (1, 1, 1, 1, 1),
        11: (1, 1, 2, 2, 2),
        13: (2, 2, 2, 2, 2),
        16: (2, 2, 3, 3, 3),
        19: (2, 2, 4, 4, 4),
    }
    channels = (64, 128, 256, 512, 512)

    def __init__(self,
                 depth: int,
                 out_indices: Sequence[int] = (4, ),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        if depth not in self.arch_settings:
            raise ValueError(
                f'depth must be one of {sorted(self.arch_settings)}, '
                f'but got {depth}')
        self.depth = depth

        # The first stage takes the images directly.
        self.stem = nn.Identity()

        self.stages = nn.ModuleList()
        in_channels = 3
        num_convs_per_stage = self.arch_settings[depth]
        for index, (num_convs, out_channels) in enumerate(
                zip(num_convs_per_stage, self.channels)):
            layers = []
            if index in (1, 2, 3):
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            for _ in range(num_convs):
                layers += [
                    nn.Conv2d(in_channels, out_channels, 3, padding=1),
                    nn.BatchNorm2d(out_channels),
                    nn.ReLU(inplace=True),
                ]
                in_channels = out_channels
            self.stages.append(nn.Sequential(*layers))
        self.stage_channels = self.channels

        self._set_out_indices(out_indices)
