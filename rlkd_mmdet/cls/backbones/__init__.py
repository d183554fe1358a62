"""CIFAR backbones of the CIFAR-100 knowledge-distillation benchmarks."""
from .base import BaseCifarBackbone
from .cifar_bottleneck_resnet import CifarBottleneckResNet
from .cifar_mobilenet_v2 import CifarMobileNetV2
from .cifar_resnet import CifarResNet, CifarResNetX4
from .cifar_shufflenet_v1 import CifarShuffleNetV1
from .cifar_shufflenet_v2 import CifarShuffleNetV2
from .cifar_vgg import CifarVGG
from .cifar_wrn import CifarWRN

__all__ = [
    'BaseCifarBackbone', 'CifarBottleneckResNet', 'CifarMobileNetV2',
    'CifarResNet', 'CifarResNetX4', 'CifarShuffleNetV1', 'CifarShuffleNetV2',
    'CifarVGG', 'CifarWRN'
]
